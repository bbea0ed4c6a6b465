// The indication side of the client: listener, sender and subscription helper.
export {
  IndicationListener, type IndicationListenerOptions, type ListenerTlsOptions, type IndicationContext, type IndicationCallback,
  type ListenerStats,
} from './IndicationListener.js';
export { sendIndication, type SendOptions } from './IndicationSender.js';
export { subscribe, unsubscribe, type SubscriptionSpec, type Subscription } from './Subscriptions.js';
export { ExportRejection, type CimErrorHeader } from './ExportRejection.js';
export { DuplicateFilter } from './DuplicateFilter.js';
