// The load loop of the server benches: `connections` keep-alive connections each sending the next
// request as soon as the last answer is read, for `seconds`; answers must be 200.
import { Pool, type Dispatcher } from 'undici';

/** Requests per second; `request(i)` gives the i-th request (so bodies can differ, e.g. new keys). */
export async function requestRate(url: string, connections: number, seconds: number, request: (i: number) => Dispatcher.RequestOptions): Promise<number> {
  const pool = new Pool(url, { connections, pipelining: 1 });
  let done = 0;
  let i = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (performance.now() < end) {
      const options = request(i++);
      const r = await pool.request(options);
      await r.body.dump();
      if (r.statusCode !== 200) throw new Error(`${options.method} ${options.path}: status ${r.statusCode}`);
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  await pool.close();
  return done / elapsed;
}
