import { logLevel, type LogEntry, type logCreator } from 'kafkajs';
import type { Logger } from '../logger';

/**
 * Routes kafkajs's own logging into ours. kafkajs logs routine group membership at INFO; that is
 * debug detail for us. Its WARN/ERROR stay warnings/errors.
 */
export function kafkaLogCreator(logger: Logger): logCreator {
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _name, ...fields } = log;
      const entry = { kafkajs: namespace, ...fields };
      // A topic that already exists (another service created it a moment ago) is success for us,
      // but kafkajs logs the broker's refusal as an ERROR first; a real refusal is thrown to our
      // caller with its reasons (describeKafkaError), so this line says nothing more.
      if (message.startsWith('Response CreateTopics') && fields['error'] === 'Topic creation errors') {
        logger.debug(entry, message);
        return;
      }
      switch (level) {
        case logLevel.ERROR:
          logger.error(entry, message);
          return;
        case logLevel.WARN:
          logger.warn(entry, message);
          return;
        case logLevel.INFO:
        case logLevel.DEBUG:
        case logLevel.NOTHING:
          logger.debug(entry, message);
          return;
      }
    };
}
