import 'reflect-metadata';
import { runMigrateJob } from '@cairn/runtime';

// Run once per install or upgrade, before the services (the Helm chart's pre-install/pre-upgrade
// Job): SQL migrations, then the Kafka topics with their configured sizing. Exits 0 when done.
void runMigrateJob();
