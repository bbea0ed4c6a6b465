// The CIM-XML codec's public surface (DSP0201 over DTD DSP0203 2.4.0). Knows nothing of HTTP.
export * from './messages.js';
export { CimXmlError, type CimXmlErrorCode } from './CimXmlError.js';
export { decodeMessage, createMessageDecoder, decodeEmbeddedObject, type MessageDecoder, type MessageDecoderOptions } from './decodeMessage.js';
export { encodeMessage, encodeEmbeddedObject, writeParam } from './encodeMessage.js';
export { ResponseStreamEncoder } from './ResponseStreamEncoder.js';
export { fromWireValue, toWireValue, typedParam } from './wireValue.js';
export { XmlWriter, escapeText, escapeAttr } from './XmlWriter.js';
