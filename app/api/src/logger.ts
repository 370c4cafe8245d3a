import { type DestinationStream, type Logger, pino } from 'pino';

/** JSON lines on stdout. `destination` lets tests capture the lines. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { service: 'modelship-api' } }, destination);
}
