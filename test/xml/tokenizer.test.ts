// tvdc's XML tokenizer on its own: every well-formedness rule it enforces, identical events
// whatever the chunking, and a differential fuzz against saxes (the parser it replaced): for
// thousands of mutated real documents both accept or both refuse, with the same events.
import { expect } from 'chai';
import { SaxesEventSource } from '../../src/xml/SaxesEventSource.js';
import type { XmlEventSink, XmlEventSource } from '../../src/xml/XmlEventSource.js';
import { XmlTokenizer } from '../../src/xml/XmlTokenizer.js';
import { loadCaptures, loadPywbemBodies } from './support/captures.js';
import { ELEMENTS, mutate, NOISE, prng } from './support/mutate.js';

class Refused extends Error {
  constructor(readonly kind: 'syntax' | 'doctype', message: string) {
    super(message);
  }
}

/**
 * Records events as short strings: `<NAME a="v">`, `</NAME>`, and text (adjacent text merged,
 * since where a tokenizer splits character data is not part of the contract).
 */
class Recorder implements XmlEventSink {
  readonly events: string[] = [];
  private depth = 0;
  openTag(name: string, attrs: readonly string[], n: number): void {
    let s = `<${name}`;
    for (let i = 0; i < n; i++) s += ` ${attrs[2 * i]!}=${JSON.stringify(attrs[2 * i + 1])}`;
    this.events.push(`${s}>`);
    this.depth++;
  }
  closeTag(name: string): void {
    this.events.push(`</${name}>`);
    this.depth--;
  }
  text(t: string): void {
    // saxes also reports white space around the root element; it carries nothing.
    if (this.depth === 0) return;
    const last = this.events.length - 1;
    if (last >= 0 && this.events[last]!.startsWith('#')) this.events[last] += t;
    else this.events.push(`#${t}`);
  }
  doctype(): never {
    throw new Refused('doctype', 'DOCTYPE');
  }
  syntaxError(message: string): never {
    throw new Refused('syntax', message);
  }
}

type Result = { ok: true; events: string[] } | { ok: false; kind: string; message: string };

function tokenize(make: (s: XmlEventSink) => XmlEventSource, chunks: string[]): Result {
  const rec = new Recorder();
  try {
    const src = make(rec);
    for (const c of chunks) src.write(c);
    src.close();
  } catch (e) {
    if (e instanceof Refused) return { ok: false, kind: e.kind, message: e.message };
    throw e;
  }
  return { ok: true, events: rec.events };
}

const tvdc = (s: XmlEventSink) => new XmlTokenizer(s);
const saxes = (s: XmlEventSink) => new SaxesEventSource(s);

function events(doc: string): string[] {
  const r = tokenize(tvdc, [doc]);
  if (!r.ok) throw new Error(`refused: ${r.message}`);
  return r.events;
}

function refusal(doc: string): { kind: string; message: string } {
  const r = tokenize(tvdc, [doc]);
  if (r.ok) throw new Error(`accepted: ${JSON.stringify(r.events)}`);
  return r;
}

describe('xml: tokenizer well-formedness', () => {
  it('reports tags, attributes and text', () => {
    expect(events('<?xml version="1.0" encoding="utf-8"?>\n<A x="1" y=\'2\'><B/>t<C></C ></A>\n')).to.deep.equal([
      '<A x="1" y="2">', '<B>', '</B>', '#t', '<C>', '</C>', '</A>',
    ]);
  });

  const ok: [string, string, string[]][] = [
    ['predefined entities and character references in text', '<A>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#x1F600;</A>', ['<A>', '#<>&"\'AB\u{1F600}', '</A>']],
    ['CRLF and lone CR in text become LF', '<A>a\r\nb\rc\n</A>', ['<A>', '#a\nb\nc\n', '</A>']],
    ['attribute values: TAB, CR, LF and CRLF become one space each, references are kept', '<A x="a\tb\r\nc\rd\ne&#10;&#9;&lt;"/>', ['<A x="a b c d e\\n\\t<">', '</A>']],
    ['CDATA sections as text, markup inside untouched, line ends normalised', '<A>x<![CDATA[<B>&amp;]]\r\n]]>y</A>', ['<A>', '#x<B>&amp;]]\ny', '</A>']],
    ['comments anywhere outside tags', '<!-- a --><A><!--b-->t<!---->u</A><!-- c -->', ['<A>', '#tu', '</A>']],
    ['processing instructions are skipped', '<?xml version="1.0"?><?pi data?><A><?x?></A><?y z?>', ['<A>', '</A>']],
    ['white space around = and in end tags', '<A  x = "1"\n y\t=\'2\' ></A\n>', ['<A x="1" y="2">', '</A>']],
    ['">" in text and attribute values', '<A x="a>b">c>d</A>', ['<A x="a>b">', '#c>d', '</A>']],
    ['non-ASCII names per XML 1.0 (fifth edition)', '<Élément ñ="1" 名前="2" a·b="3"><\u{10000}x/></Élément>', ['<Élément ñ="1" 名前="2" a·b="3">', '<\u{10000}x>', '</\u{10000}x>', '</Élément>']],
    ['colons, dots, dashes and digits in names', '<a:B.c-1 xmlns:a="u"/>', ['<a:B.c-1 xmlns:a="u">', '</a:B.c-1>']],
    ['non-BMP text', '<A>\u{1F512}\uE000\uFFFD</A>', ['<A>', '#\u{1F512}\uE000\uFFFD', '</A>']],
    ['the XML declaration with encoding and standalone', '<?xml version=\'1.0\' encoding="UTF-8" standalone="yes" ?><A/>', ['<A>', '</A>']],
  ];
  for (const [what, doc, evs] of ok) {
    it(`accepts ${what}`, () => {
      expect(events(doc)).to.deep.equal(evs);
      // and saxes, the parser tvdc used before, reads it the same way
      const s = tokenize(saxes, [doc]);
      expect(s.ok ? s.events : s.message).to.deep.equal(evs);
    });
  }

  const bad: [string, string][] = [
    ['an XML declaration after the start', ' <?xml version="1.0"?><A/>'],
    ['an XML declaration inside the document', '<A><?xml version="1.0"?></A>'],
    ['an XML declaration without version', '<?xml encoding="utf-8"?><A/>'],
    ['an XML declaration with standalone before encoding', '<?xml version="1.0" standalone="yes" encoding="utf-8"?><A/>'],
    ['a processing instruction named xml in other case', '<A><?XmL x?></A>'],
    ['"--" inside a comment', '<A><!-- a -- b --></A>'],
    ['a comment ending in "--->"', '<A><!-- a ---></A>'],
    ['an unterminated comment', '<A><!-- a </A>'],
    ['CDATA outside the root element', '<![CDATA[x]]><A/>'],
    ['an unterminated CDATA section', '<A><![CDATA[x</A>'],
    ['"]]>" in text', '<A>a]]>b</A>'],
    ['other "<!" markup', '<A><!ELEMENT x></A>'],
    ['a name starting with a digit', '<1A/>'],
    ['a name starting with "-"', '<A><-x/></A>'],
    ['an attribute name starting with "."', '<A .x="1"/>'],
    ['a non-ASCII character that cannot start a name', '<\u00b7A/>'],
    ['a non-ASCII character that cannot be in a name', '<A\u00d7B/>'],
    ['white space after "<"', '< A/>'],
    ['an unquoted attribute value', '<A x=1/>'],
    ['an attribute without value', '<A x/>'],
    ['attributes not separated by white space', '<A x="1"y="2"/>'],
    ['"<" in an attribute value', '<A x="a<b"/>'],
    ['a duplicate attribute', '<A x="1" x="2"/>'],
    ['an end tag that does not match', '<A><B></A></B>'],
    ['an end tag with a longer name', '<A></AB>'],
    ['an end tag with attributes', '<A></A x="1">'],
    ['an end tag without start tag', '</A>'],
    ['two root elements', '<A/><B/>'],
    ['text before the root element', 'x<A/>'],
    ['text after the root element', '<A/>x'],
    ['a reference after the root element', '<A/>&amp;'],
    ['no root element', '<!-- only a comment -->'],
    ['an empty document', ''],
    ['an unclosed element', '<A><B></B>'],
    ['a truncated start tag', '<A x="1"'],
    ['a truncated attribute value', '<A x="1/>'],
    ['an undefined entity', '<A>&nbsp;</A>'],
    ['an undefined entity in an attribute value', '<A x="&foo;"/>'],
    ['a reference without ";"', '<A>&amp </A>'],
    ['a bare "&"', '<A>a & b</A>'],
    ['a character reference to U+0000', '<A>&#0;</A>'],
    ['a character reference to U+FFFE', '<A>&#xFFFE;</A>'],
    ['a character reference to a surrogate', '<A>&#xD800;</A>'],
    ['a character reference beyond U+10FFFF', '<A>&#x110000;</A>'],
    ['a character reference with uppercase X', '<A>&#X41;</A>'],
    ['an empty character reference', '<A>&#;</A>'],
    ['a control character in text', '<A>\u0001</A>'],
    ['a control character in an attribute value', '<A x="\u001f"/>'],
    ['U+FFFF in text', '<A>\uffff</A>'],
    ['a control character in a comment', '<A><!-- \u0002 --></A>'],
  ];
  for (const [what, doc] of bad) {
    it(`refuses ${what}`, () => {
      const r = refusal(doc);
      expect(r.kind).to.equal('syntax');
      expect(r.message).to.match(/^\d+:\d+: /);
      expect(tokenize(saxes, [doc]).ok, 'saxes refuses it too').to.equal(false);
    });
  }

  // Stricter than saxes, which lets them through: a lone surrogate is no character at all, so
  // no XML 1.0 document can hold one (and no UTF-8 body can encode one).
  for (const [what, doc] of [['a lone high surrogate', '<A>\ud800x</A>'], ['a lone low surrogate', '<A x="\udc00"/>']]) {
    it(`refuses ${what}`, () => {
      expect(refusal(doc!).message).to.match(/U\+D[8C]00 is not allowed in XML/);
    });
  }

  it('refuses a DOCTYPE through the sink, before reading any of it', () => {
    expect(refusal('<?xml version="1.0"?><!DOCTYPE A [<!ENTITY e "x">]><A>&e;</A>').kind).to.equal('doctype');
    expect(refusal('<!DOCTYPE A SYSTEM "http://example.com/a.dtd"><A/>').kind).to.equal('doctype');
    // after the root element it is plain malformed
    expect(refusal('<A/><!DOCTYPE A>').kind).to.equal('syntax');
  });

  it('gives line and column of the problem', () => {
    expect(refusal('<A>\n<B>\n  <C x="1" x="2"/></B></A>').message).to.equal('3:12: attribute x appears twice on C');
    expect(refusal('<A>').message).to.equal('1:3: unclosed tag: A');
  });
});

const SAMPLE = '<?xml version="1.0" encoding="utf-8"?>\r\n<!-- head -->\n<CIM CIMVERSION="2.0"><MESSAGE ID="1"\tPROTOCOLVERSION=\'1.0\'>'
  + '<Ünï x="a&amp;b&#x9;c\r\nd">t&lt;&#128274;\r\n\u{1F512}]]</Ünï><?pi x?><V><![CDATA[<raw>]]]]></V><E a="&quot;" b=\'&apos;\'/>'
  + '</MESSAGE ><!--x-->text&gt;more\r</CIM>\n<!-- tail -->\n';

describe('xml: tokenizer chunking', () => {
  const whole = tokenize(tvdc, [SAMPLE]);

  it('reads the sample document', () => {
    expect(whole.ok).to.equal(true);
    if (!whole.ok) return;
    expect(whole.events).to.deep.equal([
      '<CIM CIMVERSION="2.0">', '<MESSAGE ID="1" PROTOCOLVERSION="1.0">', '<Ünï x="a&b\\tc d">', '#t<\u{1F512}\n\u{1F512}]]', '</Ünï>',
      '<V>', '#<raw>]]', '</V>', '<E a="\\"" b="\'">', '</E>', '</MESSAGE>', '#text>more\n', '</CIM>',
    ]);
  });

  it('gives the same events for a split at every position', () => {
    for (let i = 0; i <= SAMPLE.length; i++) {
      expect(tokenize(tvdc, [SAMPLE.slice(0, i), SAMPLE.slice(i)]), `split at ${i}`).to.deep.equal(whole);
    }
  });

  it('gives the same events one character at a time, and in every pair of splits of a short document', () => {
    expect(tokenize(tvdc, [...SAMPLE])).to.deep.equal(whole);
    const short = '<A x="&amp;\r\n">a&#65;\r\n<![CDATA[]]>]]&lt;</A>';
    const one = tokenize(tvdc, [short]);
    expect(one.ok).to.equal(true);
    for (let i = 0; i <= short.length; i++) {
      for (let j = i; j <= short.length; j++) {
        expect(tokenize(tvdc, [short.slice(0, i), short.slice(i, j), short.slice(j)]), `splits ${i} ${j}`).to.deep.equal(one);
      }
    }
  });

  it('waits for references cut by a chunk end, but not for text that cannot be one', () => {
    const doc = '<A x="&#x0000041;">&#0000000066;&quot;&#x1F512;</A>';
    const one = tokenize(tvdc, [doc]);
    expect(one).to.deep.equal({ ok: true, events: ['<A x="A">', '#B"\u{1F512}', '</A>'] });
    expect(tokenize(tvdc, [...doc])).to.deep.equal(one);
    // A stray '&' is refused as soon as what follows it cannot be a reference.
    const r = tokenize(tvdc, ['<A>a &', 'bcdefgh', 'ijk']);
    expect(r.ok).to.equal(false);
  });

  it('refuses the same documents whatever the chunking', () => {
    const r = prng(99);
    for (let n = 0; n < 300; n++) {
      const doc = mutate(SAMPLE, r);
      const at = Math.floor(r() * (doc.length + 1));
      const a = tokenize(tvdc, [doc]);
      const b = tokenize(tvdc, [doc.slice(0, at), doc.slice(at)]);
      expect(b.ok, `case ${n} split at ${at}: ${JSON.stringify(doc)}`).to.equal(a.ok);
      if (a.ok && b.ok) expect(b.events).to.deep.equal(a.events);
    }
  });
});

describe('xml: tokenizer against saxes (differential fuzz)', () => {
  const seeds = [...loadCaptures().map((c) => c.body), ...loadPywbemBodies().map((b) => b.body), SAMPLE]
    // saxes and tvdc's decoder strip a byte order mark before tokenizing
    .map((s) => (s.charCodeAt(0) === 0xfeff ? s.slice(1) : s));

  const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

  function agree(doc: string, label: string): boolean {
    const a = tokenize(tvdc, [doc]);
    const b = tokenize(saxes, [doc]);
    // The one deliberate difference: saxes accepts lone surrogates, tvdc refuses them.
    if (b.ok && !a.ok && LONE_SURROGATE.test(doc)) {
      expect(a.message, label).to.match(/U\+D[89A-F][0-9A-F]{2} is not allowed in XML/);
      return false;
    }
    const show = JSON.stringify(doc.length > 3000 ? `${doc.slice(0, 3000)}...` : doc);
    expect(a.ok, `${label}: tvdc ${a.ok ? 'accepts' : `refuses (${a.message})`}, saxes ${b.ok ? 'accepts' : `refuses (${b.message})`}: ${show}`).to.equal(b.ok);
    if (a.ok && b.ok) expect(a.events, label).to.deep.equal(b.events);
    return a.ok;
  }

  it('every seed document reads the same', () => {
    for (const [i, s] of seeds.entries()) agree(s, `seed ${i}`);
  });

  it('thousands of mutated documents: accepted by both or refused by both, with the same events', () => {
    const r = prng(4242);
    let accepted = 0;
    const cases = 6000;
    for (let n = 0; n < cases; n++) if (agree(mutate(seeds[n % seeds.length]!, r), `case ${n}`)) accepted++;
    // The mutations must leave enough documents well-formed for the event comparison to matter.
    expect(accepted).to.be.greaterThan(cases / 10);
  });

  it('random markup soup: the same verdicts', () => {
    const r = prng(77);
    for (let n = 0; n < 2000; n++) {
      const len = Math.floor(r() * 200);
      let soup = r() < 0.5 ? '<A>' : '';
      while (soup.length < len) soup += r() < 0.4 ? `<${ELEMENTS[Math.floor(r() * ELEMENTS.length)]!}>` : NOISE[Math.floor(r() * NOISE.length)]!;
      if (soup.startsWith('<A>')) soup += '</A>';
      agree(soup, `soup ${n}`);
    }
  });
});
