import 'reflect-metadata';
import { runService } from '@cairn/runtime';
import { serverDefinition } from './server.definition';

void runService(serverDefinition);
