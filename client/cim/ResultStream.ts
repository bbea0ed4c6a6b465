// A lazily started sequence of results: nothing is sent until the first iteration, objects arrive
// as the response streams in, and toArray() collects them for callers that want everything.

export class ResultStream<T> implements AsyncIterable<T> {
  constructor(private readonly start: () => AsyncGenerator<T, unknown, undefined>) {}

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.start();
  }

  async toArray(): Promise<T[]> {
    const out: T[] = [];
    for await (const x of this) out.push(x);
    return out;
  }
}
