// The process's log: one line per event on stderr, timestamped. Passed in as a function so
// tests capture it; nothing else in dockfence writes to the console while serving.

export type Log = (message: string) => void;

export function createLog(component: string, write: (line: string) => void = (l) => process.stderr.write(l)): Log {
  return (message) => write(`${new Date().toISOString()} ${component}: ${message}\n`);
}
