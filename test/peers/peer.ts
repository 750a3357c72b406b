/** What every locally started Kinesis-speaking server gives a test or the bench. */
export type PeerName = 'kedge' | 'kinesalite' | 'kinesis-local';

export interface RunningPeer {
  readonly name: PeerName;
  /** `http://127.0.0.1:PORT`, the endpoint for AWS SDK clients. */
  readonly url: string;
  /** The server's process id when it runs as a child (for profiling and `ss`), else undefined. */
  readonly pid: number | undefined;
  /** Stops the server and removes anything it wrote. Safe to call twice. */
  close(): Promise<void>;
}
