// The CIM-XML of one delivery: an ExportIndication request (SIMPLEEXPREQ / EXPMETHODCALL with the
// NewIndication parameter) and the check of the listener's EXPMETHODRESPONSE. Built on src/xml.
import type { CimInstance } from '../../cim/CimInstance.js';
import { CimError, CimStatus } from '../../cim/CimError.js';
import { decodeMessage, encodeMessage } from '../../xml/index.js';

/** How the delivery pipeline speaks CIM-XML; replaceable so the engine can be exercised alone. */
export interface ExportCodec {
  /** The whole request body for `indication`, with MESSAGE ID `messageId`. */
  encodeRequest(indication: CimInstance, messageId: string): string;
  /** null when `body` is a SIMPLEEXPRSP without ERROR; otherwise the reason delivery failed. */
  checkResponse(body: string): CimError | null;
}

export const cimXmlExportCodec: ExportCodec = {
  encodeRequest(indication, messageId) {
    return encodeMessage({
      kind: 'SIMPLEEXPREQ',
      id: messageId,
      protocolVersion: '1.0',
      call: {
        kind: 'EXPMETHODCALL',
        name: 'ExportIndication',
        params: [{ name: 'NewIndication', value: { kind: 'INSTANCE', instance: indication } }],
      },
    });
  },
  checkResponse(body) {
    let msg;
    try {
      msg = decodeMessage(body);
    } catch (e) {
      return new CimError(CimStatus.CIM_ERR_FAILED, `listener answered with unreadable CIM-XML: ${(e as Error).message}`);
    }
    if (msg.kind !== 'SIMPLEEXPRSP') return new CimError(CimStatus.CIM_ERR_FAILED, `listener answered with ${msg.kind}, not SIMPLEEXPRSP`);
    return msg.response.error ?? null;
  },
};
