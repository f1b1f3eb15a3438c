/**
 * Logging with the official levels of `setLogLevel`: 0 verbose, 1 release (default), 2 warnings
 * and errors, 3 errors only, 4 nothing.
 *
 * @packageDocumentation
 */

/** A leveled console logger, one per SDK instance. */
export class Logger {
  private level = 1;

  constructor(private readonly prefix: string) {}

  /** Sets the level (0–4); other values are ignored. */
  setLevel(level: number): void {
    if (Number.isInteger(level) && level >= 0 && level <= 4) this.level = level;
  }

  /** Verbose detail (level 0). */
  debug(...args: unknown[]): void {
    if (this.level <= 0) console.debug(this.prefix, ...args);
  }

  /** Key information (level ≤ 1). */
  info(...args: unknown[]): void {
    if (this.level <= 1) console.info(this.prefix, ...args);
  }

  /** Warnings (level ≤ 2). */
  warn(...args: unknown[]): void {
    if (this.level <= 2) console.warn(this.prefix, ...args);
  }

  /** Errors (level ≤ 3). */
  error(...args: unknown[]): void {
    if (this.level <= 3) console.error(this.prefix, ...args);
  }
}
