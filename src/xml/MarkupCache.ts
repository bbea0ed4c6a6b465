// Opening markup that depends only on a name and a type (`<PROPERTY NAME="Id" TYPE="uint32">`),
// made once and reused. An enumeration writes the same few property, key and class openings for
// every instance; as one flat string each they are one piece of the response instead of the four
// or five a template literal makes, and the response (a rope of such pieces until it is sent)
// then costs about half as much to flatten.
import { BoundedMap } from '../cim/BoundedMap.js';

/** Per type; names come from schemas and from the wire, so each table is bounded. */
const NAMES_PER_TYPE = 4096;

export class MarkupCache {
  private readonly byType = new Map<string, BoundedMap<string, string>>();

  /** `make` must be a pure function of its arguments and escape what it puts in attributes. */
  constructor(private readonly make: (name: string, type: string) => string) {}

  get(name: string, type: string): string {
    let names = this.byType.get(type);
    if (names === undefined) {
      names = new BoundedMap(NAMES_PER_TYPE);
      this.byType.set(type, names);
    }
    let s = names.get(name);
    if (s === undefined) {
      // Copied through bytes into a sequential string: flattening the template's rope in place
      // would leave a wrapper node in front of the text, one more piece wherever it is used.
      s = Buffer.from(this.make(name, type), 'utf8').toString('utf8');
      names.set(name, s);
    }
    return s;
  }
}
