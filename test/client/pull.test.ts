// Pull enumerations against loopback servers that implement them and servers that answer
// CIM_ERR_NOT_SUPPORTED; and proof that objects reach the caller while the response still streams.
import { expect } from 'chai';
import { CimObjectPath } from '../../src/cim/CimObjectPath.js';
import { WbemConnection } from '../../client/cim/WbemConnection.js';
import { cimErrorResponse, imethodResponse, sendXml, StubServer, type RecordedRequest } from './support/StubServer.js';

const N = 25;

function namedInstance(i: number): string {
  return `<VALUE.NAMEDINSTANCE><INSTANCENAME CLASSNAME="TVD_Widget"><KEYBINDING NAME="Id"><KEYVALUE VALUETYPE="numeric" TYPE="uint32">${i}</KEYVALUE></KEYBINDING></INSTANCENAME>` +
    `<INSTANCE CLASSNAME="TVD_Widget"><PROPERTY NAME="Id" TYPE="uint32"><VALUE>${i}</VALUE></PROPERTY></INSTANCE></VALUE.NAMEDINSTANCE>`;
}

function instanceWithPath(i: number): string {
  return `<VALUE.INSTANCEWITHPATH><INSTANCEPATH><NAMESPACEPATH><HOST>h</HOST><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/><NAMESPACE NAME="tvdc"/></LOCALNAMESPACEPATH></NAMESPACEPATH>` +
    `<INSTANCENAME CLASSNAME="TVD_Widget"><KEYBINDING NAME="Id"><KEYVALUE VALUETYPE="numeric" TYPE="uint32">${i}</KEYVALUE></KEYBINDING></INSTANCENAME></INSTANCEPATH>` +
    `<INSTANCE CLASSNAME="TVD_Widget"><PROPERTY NAME="Id" TYPE="uint32"><VALUE>${i}</VALUE></PROPERTY></INSTANCE></VALUE.INSTANCEWITHPATH>`;
}

function instanceName(i: number): string {
  return `<INSTANCENAME CLASSNAME="TVD_Widget"><KEYBINDING NAME="Id"><KEYVALUE VALUETYPE="numeric">${i}</KEYVALUE></KEYBINDING></INSTANCENAME>`;
}

function param(req: RecordedRequest, name: string): string | undefined {
  const m = new RegExp(`<IPARAMVALUE NAME="${name}"><VALUE>([^<]*)</VALUE>`).exec(req.body);
  return m?.[1];
}

function pullParams(context: string, end: boolean): string {
  return `<PARAMVALUE NAME="EnumerationContext"><VALUE>${end ? '' : context}</VALUE></PARAMVALUE><PARAMVALUE NAME="EndOfSequence"><VALUE>${end ? 'TRUE' : 'FALSE'}</VALUE></PARAMVALUE>`;
}

describe('pull enumerations', function () {
  this.timeout(10_000);
  let server: StubServer;
  let conn: WbemConnection;

  beforeEach(async () => {
    server = await StubServer.started();
    conn = new WbemConnection(server.origin, { namespace: 'root/tvdc' });
  });
  afterEach(async () => {
    await conn.transport.destroy();
    await server.close();
  });

  /** A server with pull operations over N widgets. */
  function pullingServer(): void {
    let next = 0;
    server.setHandler((req, res) => {
      const m = String(req.headers.cimmethod);
      const max = Number(param(req, 'MaxObjectCount') ?? 1000);
      if (m === 'OpenEnumerateInstances' || m === 'PullInstancesWithPath') {
        if (m === 'OpenEnumerateInstances') next = 0;
        else expect(param(req, 'EnumerationContext')).to.equal('ctx-1');
        const items: string[] = [];
        while (items.length < max && next < N) items.push(instanceWithPath(next++));
        sendXml(res, imethodResponse(m, `<IRETURNVALUE>${items.join('')}</IRETURNVALUE>${pullParams('ctx-1', next >= N)}`));
      } else if (m === 'CloseEnumeration') {
        sendXml(res, imethodResponse(m, ''));
      } else {
        sendXml(res, cimErrorResponse(m, 7, 'not here'));
      }
    });
  }

  /** A server without pull operations: CIM_ERR_NOT_SUPPORTED for Open*, the classic calls work. */
  function classicServer(): void {
    server.setHandler((req, res) => {
      const m = String(req.headers.cimmethod);
      if (m.startsWith('Open') || m.startsWith('Pull')) return sendXml(res, cimErrorResponse(m, 7, `${m} is not supported`));
      const all = Array.from({ length: N }, (_, i) => i);
      if (m === 'EnumerateInstances') return sendXml(res, imethodResponse(m, `<IRETURNVALUE>${all.map(namedInstance).join('')}</IRETURNVALUE>`));
      if (m === 'EnumerateInstanceNames') return sendXml(res, imethodResponse(m, `<IRETURNVALUE>${all.map(instanceName).join('')}</IRETURNVALUE>`));
      if (m === 'ExecQuery') {
        return sendXml(res, imethodResponse(m, `<IRETURNVALUE>${all.map((i) => `<VALUE.OBJECTWITHPATH>${instanceWithPath(i).replace(/^<VALUE.INSTANCEWITHPATH>|<\/VALUE.INSTANCEWITHPATH>$/g, '')}</VALUE.OBJECTWITHPATH>`).join('')}</IRETURNVALUE>`));
      }
      if (m === 'Associators' || m === 'References') {
        return sendXml(res, imethodResponse(m, `<IRETURNVALUE>${all.slice(0, 3).map((i) => `<VALUE.OBJECTWITHPATH>${instanceWithPath(i).replace(/^<VALUE.INSTANCEWITHPATH>|<\/VALUE.INSTANCEWITHPATH>$/g, '')}</VALUE.OBJECTWITHPATH>`).join('')}</IRETURNVALUE>`));
      }
      if (m === 'AssociatorNames' || m === 'ReferenceNames') {
        return sendXml(res, imethodResponse(m, `<IRETURNVALUE>${all.slice(0, 2).map((i) => `<OBJECTPATH><INSTANCEPATH><NAMESPACEPATH><HOST>h</HOST><LOCALNAMESPACEPATH><NAMESPACE NAME="root"/></LOCALNAMESPACEPATH></NAMESPACEPATH>${instanceName(i)}</INSTANCEPATH></OBJECTPATH>`).join('')}</IRETURNVALUE>`));
      }
      sendXml(res, cimErrorResponse(m, 7, 'no'));
    });
  }

  it('pulls every instance in MaxObjectCount batches', async () => {
    pullingServer();
    const ids = (await conn.pullInstances('TVD_Widget', { maxObjectCount: 10 }).toArray()).map((i) => i.get('Id'));
    expect(ids).to.deep.equal(Array.from({ length: N }, (_, i) => i));
    expect(server.requests.map((r) => r.headers.cimmethod)).to.deep.equal(['OpenEnumerateInstances', 'PullInstancesWithPath', 'PullInstancesWithPath']);
    expect(conn.pullSupported).to.equal(true);
  });

  it('stopping early closes the enumeration context on the server', async () => {
    pullingServer();
    let seen = 0;
    for await (const inst of conn.pullInstances('TVD_Widget', { maxObjectCount: 5 })) {
      expect(inst.path?.namespace).to.equal('root/tvdc');
      if (++seen === 7) break;
    }
    const methods = server.requests.map((r) => r.headers.cimmethod);
    expect(methods[methods.length - 1]).to.equal('CloseEnumeration');
    expect(param(server.requests[server.requests.length - 1]!, 'EnumerationContext')).to.equal('ctx-1');
  });

  it('falls back to EnumerateInstances when the server answers CIM_ERR_NOT_SUPPORTED, and remembers', async () => {
    classicServer();
    const first = await conn.pullInstances('TVD_Widget', { maxObjectCount: 7 }).toArray();
    expect(first.map((i) => i.get('Id'))).to.deep.equal(Array.from({ length: N }, (_, i) => i));
    expect(first[0]!.path?.namespace).to.equal('root/tvdc');
    expect(server.requests.map((r) => r.headers.cimmethod)).to.deep.equal(['OpenEnumerateInstances', 'EnumerateInstances']);
    expect(conn.pullSupported).to.equal(false);
    const second = await conn.pullInstances('TVD_Widget').toArray();
    expect(second).to.have.length(N);
    expect(server.requests.map((r) => r.headers.cimmethod).slice(2)).to.deep.equal(['EnumerateInstances']);
  });

  it('each pull operation has its classic fallback', async () => {
    classicServer();
    const w = CimObjectPath.instance('TVD_Widget', { Id: 1n });
    expect(await conn.pullInstancePaths('TVD_Widget').toArray()).to.have.length(N);
    conn.pullSupported = undefined;
    expect((await conn.pullQueryInstances('WQL', 'SELECT * FROM TVD_Widget').toArray()).map((i) => i.get('Id'))).to.have.length(N);
    conn.pullSupported = undefined;
    expect(await conn.pullAssociatorInstances(w).toArray()).to.have.length(3);
    expect(await conn.pullAssociatorInstancePaths(w).toArray()).to.have.length(2);
    expect(await conn.pullReferenceInstances(w).toArray()).to.have.length(3);
    expect(await conn.pullReferenceInstancePaths(w).toArray()).to.have.length(2);
    const methods = server.requests.map((r) => r.headers.cimmethod);
    for (const m of ['EnumerateInstanceNames', 'ExecQuery', 'Associators', 'AssociatorNames', 'References', 'ReferenceNames']) {
      expect(methods).to.include(m);
    }
  });

  it('objects reach the caller before the response is complete', async () => {
    let release!: () => void;
    const released = new Promise<void>((r) => { release = r; });
    server.setHandler(async (_req, res) => {
      const doc = imethodResponse('EnumerateInstances', `<IRETURNVALUE>${namedInstance(0)}@@${namedInstance(1)}</IRETURNVALUE>`);
      const [head, tail] = doc.split('@@') as [string, string];
      res.writeHead(200, { 'content-type': 'application/xml; charset=utf-8' });
      res.write(head);
      // The rest is only sent once the client has shown it already has the first instance.
      await released;
      res.end(tail);
    });
    const ids: unknown[] = [];
    for await (const inst of conn.enumerateInstances('TVD_Widget')) {
      ids.push(inst.get('Id'));
      if (ids.length === 1) release();
    }
    expect(ids).to.deep.equal([0, 1]);
  });

  it('a pull response without EndOfSequence is a parse error, not a loop', async () => {
    server.setHandler((req, res) => sendXml(res, imethodResponse(String(req.headers.cimmethod), '<IRETURNVALUE></IRETURNVALUE>')));
    try {
      await conn.pullInstances('TVD_Widget').toArray();
      expect.fail('expected an error');
    } catch (e) {
      expect((e as { code?: string }).code).to.equal('RESPONSE_PARSE');
    }
  });
});
