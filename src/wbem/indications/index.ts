// The indications API (DSP1054): see docs/indications.md.
export { IndicationService, type IndicationServiceOptions, type IndicationStats } from './IndicationService.js';
export { SubscriptionStore, type ActiveSubscription } from './SubscriptionStore.js';
export { attachIndications, type IndicationHost, type InteropLinks } from './attachIndications.js';
export {
  registerIndicationProviders, filterProvider, destinationProvider, subscriptionProvider, serviceProvider,
  capabilitiesProvider, type ProviderHost,
} from './indicationProviders.js';
export { cimXmlExportCodec, type ExportCodec } from './exportMessage.js';
export { DeliveryError } from './DeliveryWorker.js';
export * from './indicationClasses.js';
