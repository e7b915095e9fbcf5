import 'reflect-metadata';
import { runService } from '@cairn/runtime';

// Health, metrics and the event backbone only, for now: its context lands with its own issue.
void runService({ name: 'artifact-service', modules: () => [] });
