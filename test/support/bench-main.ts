/**
 * Runs a benchmark's main and exits when it ends: with the exit code it set (0 when
 * none), or 1 after printing what it threw. Exiting explicitly, so a fleet's sockets and
 * timers left behind cannot keep the process alive.
 */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
