// The DMTF class names and value maps the indication service works with (DSP1054).

export const FILTER_CLASS = 'CIM_IndicationFilter';
export const DESTINATION_CLASS = 'CIM_ListenerDestinationCIMXML';
/** Deprecated predecessor of CIM_ListenerDestinationCIMXML; still created by older clients. */
export const HANDLER_CLASS = 'CIM_IndicationHandlerCIMXML';
export const SUBSCRIPTION_CLASS = 'CIM_IndicationSubscription';
export const SERVICE_CLASS = 'CIM_IndicationService';
export const CAPABILITIES_CLASS = 'CIM_IndicationServiceCapabilities';

export const DESTINATION_CLASSES: readonly string[] = [DESTINATION_CLASS, HANDLER_CLASS];

/** CIM_AbstractIndicationSubscription.SubscriptionState. */
export const SubscriptionState = { Unknown: 0, Other: 1, Enabled: 2, EnabledDegraded: 3, Disabled: 4 } as const;
/** CIM_AbstractIndicationSubscription.OnFatalErrorPolicy. */
export const OnFatalErrorPolicy = { Other: 1, Ignore: 2, Disable: 3, Remove: 4 } as const;
/** CIM_ListenerDestination.PersistenceType. */
export const PersistenceType = { Other: 1, Permanent: 2, Transient: 3 } as const;

/** The four keys shared by filters and destinations, in DMTF order. */
export const SYSTEM_KEYS = ['SystemCreationClassName', 'SystemName', 'CreationClassName', 'Name'] as const;
