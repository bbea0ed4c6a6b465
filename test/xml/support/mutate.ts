// Deterministic mutation of documents for the fuzz tests (the decoder's and the tokenizer's):
// truncations, deleted and duplicated ranges, markup noise, renamed elements, changed attributes.

import { seededRandom } from '../../support/random.js';

/** The shared seeded generator under the name these tests have always used. */
export const prng = seededRandom;

export const ELEMENTS = ['CIM', 'MESSAGE', 'SIMPLEREQ', 'SIMPLERSP', 'MULTIREQ', 'IMETHODCALL', 'METHODCALL', 'IPARAMVALUE', 'PARAMVALUE', 'IRETURNVALUE',
  'RETURNVALUE', 'VALUE', 'VALUE.ARRAY', 'VALUE.NULL', 'VALUE.REFERENCE', 'VALUE.NAMEDINSTANCE', 'INSTANCENAME', 'KEYBINDING', 'KEYVALUE',
  'INSTANCE', 'CLASS', 'PROPERTY', 'PROPERTY.ARRAY', 'PROPERTY.REFERENCE', 'QUALIFIER', 'METHOD', 'PARAMETER', 'LOCALNAMESPACEPATH', 'NAMESPACE',
  'HOST', 'CLASSNAME', 'ERROR', 'EXPMETHODCALL', 'EXPPARAMVALUE', 'SCOPE', 'QUALIFIER.DECLARATION', 'OBJECTPATH', 'INSTANCEPATH'];
export const NOISE = ['<', '>', '&', '"', "'", '/', '=', ' ', '\u0000', '\u0007', ']]>', '<![CDATA[', '&lt;', '&#0;', '&#x1F600;', '&amp;', '\uffff', '\ud800',
  '<!DOCTYPE x>', '<!ENTITY a "b">', '&a;', '<?pi?>', '<!-- c -->', 'TYPE="uint8"', 'TYPE="bogus"', 'NAME=""', 'VALUETYPE="numeric"', '99999999999999999999999',
  '-1', 'NaN', 'TRUE', 'EmbeddedObject="instance"', 'PARAMTYPE="instance"', '\u00e9', '\u{1F600}'];

export function mutate(s: string, r: () => number): string {
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const at = () => Math.floor(r() * (s.length + 1));
  const steps = 1 + Math.floor(r() * 3);
  for (let k = 0; k < steps; k++) {
    const i = at();
    switch (Math.floor(r() * 8)) {
      case 0: s = s.slice(0, i); break; // truncate
      case 1: s = s.slice(0, i) + s.slice(Math.min(s.length, i + 1 + Math.floor(r() * 40))); break; // delete a range
      case 2: s = s.slice(0, i) + pick(NOISE) + s.slice(i); break; // insert noise
      case 3: s = s.slice(0, i) + pick(NOISE) + s.slice(i + 1); break; // replace a character
      case 4: { // duplicate a range
        const j = Math.min(s.length, i + Math.floor(r() * 200));
        s = s.slice(0, j) + s.slice(i, j) + s.slice(j);
        break;
      }
      case 5: { // rename one element occurrence
        const name = pick(ELEMENTS);
        const other = pick(ELEMENTS);
        const pos = s.indexOf(`<${name}`, i);
        if (pos >= 0) s = s.slice(0, pos + 1) + other + s.slice(pos + 1 + name.length);
        break;
      }
      case 6: { // insert a random well-formed element
        const name = pick(ELEMENTS);
        s = `${s.slice(0, i)}<${name}${r() < 0.5 ? ' NAME="x"' : ''}>${r() < 0.5 ? 'v' : ''}</${name}>${s.slice(i)}`;
        break;
      }
      default: { // change an attribute value
        const q = s.indexOf('="', i);
        if (q >= 0) {
          const e = s.indexOf('"', q + 2);
          if (e >= 0) s = s.slice(0, q + 2) + pick(NOISE).replace(/"/g, '') + s.slice(e);
        }
      }
    }
  }
  return s;
}
