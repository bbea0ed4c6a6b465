// A network segment: one isolated layer-2 network carrying exactly one resource label (so exactly
// one STE type), realised as an 802.1Q VLAN or a VXLAN network.

export type SegmentKind = 'vlan' | 'vxlan';

export interface NetworkSegment {
  name: string;
  label: string | undefined;
  kind: SegmentKind;
  /** VLAN id (1-4094) or VXLAN VNI (1-16777215). */
  segmentId: number;
}

export function checkSegmentId(kind: SegmentKind, id: number): string | undefined {
  if (!Number.isInteger(id)) return `segment id ${id} is not an integer`;
  if (kind === 'vlan' && (id < 1 || id > 4094)) return `VLAN id ${id} is outside 1-4094`;
  if (kind === 'vxlan' && (id < 1 || id > 0xffffff)) return `VXLAN VNI ${id} is outside 1-16777215`;
  return undefined;
}
