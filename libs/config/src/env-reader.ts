/** Reads typed values from an environment map, collecting every problem instead of stopping at the first. */
export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Readonly<Record<string, string | undefined>>) {}

  string(key: string, fallback?: string): string {
    const raw = this.env[key];
    if (raw === undefined || raw === '') {
      if (fallback === undefined) {
        this.problems.push(`${key} is required`);
        return '';
      }
      return fallback;
    }
    return raw;
  }

  optional(key: string): string | undefined {
    const raw = this.env[key];
    return raw === undefined || raw === '' ? undefined : raw;
  }

  int(key: string, fallback: number, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): number {
    const raw = this.env[key];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${key} must be an integer between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  number(key: string, fallback: number, min: number, max: number): number {
    const raw = this.env[key];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < min || value > max) {
      this.problems.push(`${key} must be a number between ${min} and ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  }

  list(key: string, fallback: readonly string[]): string[] {
    const raw = this.env[key];
    if (raw === undefined || raw === '') return [...fallback];
    return raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }

  oneOf<T extends string>(key: string, allowed: readonly T[], fallback: T): T {
    const raw = this.env[key];
    if (raw === undefined || raw === '') return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${key} must be one of ${allowed.join(', ')} (got "${raw}")`);
      return fallback;
    }
    return raw as T;
  }

  check(condition: boolean, problem: string): void {
    if (!condition) this.problems.push(problem);
  }
}
