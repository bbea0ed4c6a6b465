// At-least-once, in-order delivery under random listener failures and repeated restarts of the
// service on one SQLite file: after duplicates are dropped by (SequenceContext, SequenceNumber),
// the listener's callback sees exactly the emitted indications, in emission order.
import { expect } from 'chai';
import { join } from 'node:path';
import { openStore, type Db } from '../../../src/store/Store.js';
import { IndicationService } from '../../../src/wbem/indications/index.js';
import { decodeMessage } from '../../../src/xml/index.js';
import { CimInstance } from '../../../src/cim/CimInstance.js';
import { DuplicateFilter } from '../../../client/listener/DuplicateFilter.js';
import { instance, messageId, okResponse, tempDir, TestListener, waitFor } from './support.js';

import { seededRandom as rng } from '../../support/random.js';

describe('indications/ordering under failures and restarts', function () {
  this.timeout(60_000);
  let tmp: ReturnType<typeof tempDir>;
  let listener: TestListener;
  let db: Db | undefined;
  let svc: IndicationService | undefined;

  beforeEach(() => {
    tmp = tempDir();
    listener = new TestListener();
  });
  afterEach(async () => {
    await svc?.close();
    db?.close();
    await listener.stop();
    tmp.cleanup();
  });

  it('delivers every indication once and in order after dedup', async () => {
    const random = rng(7);
    const pacing = rng(11);
    const seen: string[] = [];
    const dedup = new DuplicateFilter();
    let duplicates = 0;
    let failing = true;
    listener.respond = (r) => {
      const msg = decodeMessage(r.body);
      if (msg.kind !== 'SIMPLEEXPREQ') throw new Error(msg.kind);
      const v = msg.call.params[0]!.value;
      if (v?.kind !== 'INSTANCE') throw new Error('no instance');
      const ind = v.instance;
      const roll = random();
      // Refused before processing: the listener never saw it.
      if (failing && roll < 0.2) return { status: 503, body: '' };
      if (dedup.firstSeen(String(ind.get('SequenceContext')), String(ind.get('SequenceNumber')))) {
        seen.push(String((ind.get('SourceInstance') as CimInstance).get('Name')));
      } else {
        duplicates++;
      }
      // Processed, but the answer is lost: the service must send it again.
      if (failing && roll < 0.4) return { status: 500, body: '' };
      return { status: 200, body: okResponse(messageId(r.body)) };
    };
    const url = await listener.start();
    const open = (): IndicationService => {
      db = openStore(join(tmp.dir, 'host.db'));
      return new IndicationService({ db, systemName: 'h', retryAttempts: 10_000, retryIntervalMs: 5, maxRetryIntervalMs: 20, onError: () => {} });
    };
    svc = open();
    const f = svc.createFilter('root/interop', instance('CIM_IndicationFilter', [
      ['Name', 'string', 'all'], ['Query', 'string', 'SELECT * FROM CIM_InstCreation'], ['QueryLanguage', 'string', 'WQL'],
      ['SourceNamespaces', 'string', ['root/tvdc'], true],
    ]));
    const d = svc.createDestination('root/interop', instance('CIM_ListenerDestinationCIMXML', [['Name', 'string', 'l'], ['Destination', 'string', url]]));
    svc.createSubscription('root/interop', instance('CIM_IndicationSubscription', [['Filter', 'reference', f], ['Handler', 'reference', d]]));

    const emitted: string[] = [];
    let n = 0;
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 8; i++) {
        const name = `vm${n++}`;
        emitted.push(name);
        expect(svc.emit('root/tvdc', instance('CIM_InstCreation', [['SourceInstance', 'string', instance('TVDc_ComputerSystem', [['Name', 'string', name]])]]))).to.equal(1);
      }
      // Let at least half of what was emitted get through (with failures), then restart mid-stream.
      const target = Math.ceil(emitted.length * (0.5 + 0.5 * pacing()));
      await waitFor(() => seen.length >= target, 20_000, `${target} deliveries`);
      await svc.close();
      db!.close();
      svc = open();
    }
    failing = false;
    svc.retryNow();
    await waitFor(() => svc!.queued() === 0, 30_000, 'the queue to drain');
    expect(seen).to.deep.equal(emitted);
    expect(duplicates).to.be.greaterThan(0);
  });
});
