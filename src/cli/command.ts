/** The shape of one CLI command. Commands only parse flags, call library code and print. */
export interface Command {
  /** Name as typed after `facelab`. */
  name: string;
  /** One line for `facelab --help`. */
  summary: string;
  /** Runs the command; resolves to the process exit code. */
  run(argv: string[]): Promise<number>;
}
