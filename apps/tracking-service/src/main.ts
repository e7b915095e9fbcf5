import 'reflect-metadata';
import { runService } from '@cairn/runtime';
import { TrackingModule } from '@cairn/tracking';

// The tracking context alone: MLflow's tracking API; its events leave through the outbox relay.
void runService({ name: 'tracking-service', modules: () => [TrackingModule], relays: ['tracking'] });
