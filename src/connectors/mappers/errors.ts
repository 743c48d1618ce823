import { CustsyncError } from '../../runtime/errors.js';

/**
 * Errors a mapper raises. A schema failure is not one of them: the connector
 * dead-letters those with the zod issue path.
 */

/** The payload passed its schema but cannot become a record (e.g. it names no email): dead-lettered, never retried. */
export class MappingError extends CustsyncError {
  constructor(
    message: string,
    /** Where in the payload the missing or unusable value is, like a zod issue path. */
    readonly path: (string | number)[],
  ) {
    super('CUSTSYNC_MAPPING_FAILED', message);
    this.name = 'MappingError';
  }
}

/** A configured `mapper:` name that no mapper has: a configuration error, fatal at startup. */
export class UnknownMapperError extends CustsyncError {
  constructor(
    readonly mapperName: string,
    readonly validNames: readonly string[],
  ) {
    super('CUSTSYNC_UNKNOWN_MAPPER', `unknown mapper "${mapperName}"; valid mappers are: ${validNames.join(', ')}`);
    this.name = 'UnknownMapperError';
  }
}
