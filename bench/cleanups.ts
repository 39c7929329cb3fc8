/**
 * What a benchmark started (stacks, peer servers), stopped in reverse order when it ends or is
 * interrupted (SIGINT exits 130, SIGTERM 143), so no run leaves a process behind.
 */
export function stopEverythingOnExit(log: (message: string) => void): {
  readonly cleanups: Array<() => Promise<void>>;
  readonly cleanUp: () => Promise<void>;
} {
  const cleanups: Array<() => Promise<void>> = [];
  const cleanUp = async (): Promise<void> => {
    for (const stop of cleanups.splice(0).reverse()) await stop().catch((err: unknown) => log(`cleanup failed: ${String(err)}`));
  };
  const onSignal = (exitCode: number) => (): void => {
    log('interrupted: stopping everything this run started ...');
    void cleanUp().finally(() => process.exit(exitCode));
  };
  process.once('SIGINT', onSignal(130));
  process.once('SIGTERM', onSignal(143));
  return { cleanups, cleanUp };
}
