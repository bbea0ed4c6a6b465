// The optional parameters of each intrinsic operation (DSP0200 5.3.2). Only the ones a caller sets
// are sent, so the server's DSP0200 defaults apply to the rest.

export interface NamespaceOption {
  /** Overrides the connection's default namespace (a path's own namespace wins over both). */
  namespace?: string;
}

export interface GetClassOptions extends NamespaceOption {
  localOnly?: boolean;
  includeQualifiers?: boolean;
  includeClassOrigin?: boolean;
  propertyList?: readonly string[] | null;
}

export interface EnumerateClassesOptions extends NamespaceOption {
  deepInheritance?: boolean;
  localOnly?: boolean;
  includeQualifiers?: boolean;
  includeClassOrigin?: boolean;
}

export interface EnumerateClassNamesOptions extends NamespaceOption {
  deepInheritance?: boolean;
}

export interface GetInstanceOptions extends NamespaceOption {
  localOnly?: boolean;
  includeQualifiers?: boolean;
  includeClassOrigin?: boolean;
  propertyList?: readonly string[] | null;
}

export interface EnumerateInstancesOptions extends GetInstanceOptions {
  deepInheritance?: boolean;
}

export interface AssociatorNamesOptions extends NamespaceOption {
  assocClass?: string;
  resultClass?: string;
  role?: string;
  resultRole?: string;
}

export interface AssociatorsOptions extends AssociatorNamesOptions {
  includeQualifiers?: boolean;
  includeClassOrigin?: boolean;
  propertyList?: readonly string[] | null;
}

export interface ReferenceNamesOptions extends NamespaceOption {
  resultClass?: string;
  role?: string;
}

export interface ReferencesOptions extends ReferenceNamesOptions {
  includeQualifiers?: boolean;
  includeClassOrigin?: boolean;
  propertyList?: readonly string[] | null;
}

/** Pull operations (DSP0200 5.3.2.23ff). */
export interface PullOptions extends NamespaceOption {
  /** Objects per Open/Pull response (default 1000). */
  maxObjectCount?: number;
  /** Seconds the server keeps an idle enumeration context. */
  operationTimeout?: number;
  continueOnError?: boolean;
  filterQueryLanguage?: string;
  filterQuery?: string;
}

export interface PullInstancesOptions extends PullOptions {
  deepInheritance?: boolean;
  includeClassOrigin?: boolean;
  propertyList?: readonly string[] | null;
}

export interface PullAssociatorsOptions extends PullOptions, AssociatorNamesOptions {
  includeClassOrigin?: boolean;
  propertyList?: readonly string[] | null;
}

export interface PullReferencesOptions extends PullOptions, ReferenceNamesOptions {
  includeClassOrigin?: boolean;
  propertyList?: readonly string[] | null;
}
