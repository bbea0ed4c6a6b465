// Opening markup that depends only on a name and a type (`<PROPERTY NAME="Id" TYPE="uint32">`),
// made once and reused. An enumeration writes the same few property, key and class openings for
// every instance; as one flat string each they are one piece of the response instead of the four
// or five a template literal makes, and the response (a rope of such pieces until it is sent)
// then costs about half as much to flatten.
import { BoundedMap } from '../cim/BoundedMap.js';

/** Names come from schemas and from the wire, so the table is bounded. */
const NAMES = 8192;

/**
 * One entry per name, holding the markup for the type it was last asked with: a name nearly
 * always comes with the same type, and one lookup costs half of two (by type, then name).
 */
interface Entry {
  type: string;
  text: string;
}

export class MarkupCache {
  private readonly byName = new BoundedMap<string, Entry>(NAMES);

  /** `make` must be a pure function of its arguments and escape what it puts in attributes. */
  constructor(private readonly make: (name: string, type: string) => string) {}

  get(name: string, type: string): string {
    const e = this.byName.get(name);
    if (e !== undefined && e.type === type) return e.text;
    // Copied through bytes into a sequential string: flattening the template's rope in place
    // would leave a wrapper node in front of the text, one more piece wherever it is used.
    const text = Buffer.from(this.make(name, type), 'utf8').toString('utf8');
    this.byName.set(name, { type, text });
    return text;
  }
}
