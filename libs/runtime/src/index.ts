export * from './start-service';
export * from './eventing';
export * from './migrate-job';
export { OperationsModule } from './operations/operations.module';
export { backupHome, restoreHome, runHomeBackupCommand, runningEmbeddedDatabaseUrl, BACKUP_FORMAT, type BackupManifest } from './home-backup';
