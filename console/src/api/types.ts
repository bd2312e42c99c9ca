export interface ContentItem {
  contentKey: string;
  type: string;
  contentType: string;
  contentLength: number;
  lastModified: string;
  owningAgent?: { id: string };
  owningInteractionPlan?: { id: string };
  properties: Record<string, unknown>;
}

export interface LegalHold {
  reason: string;
  caseId: string | null;
  placedAt: string;
  placedBy: string;
}

export interface Interaction {
  guid: string;
  start: string;
  connectFrom: string;
  connectTo: string;
  direction: 'inbound' | 'outbound';
  handlingAgents: { id: string }[];
  content: ContentItem[];
  legalHold?: LegalHold | null;
}

export interface SearchPage {
  items: Interaction[];
  meta: { nextContinuationToken: string | null };
}

export const API = '/interaction-content';
export const contentPath = (guid: string, key: string) =>
  `${API}/interactions/${encodeURIComponent(guid)}/content/${encodeURIComponent(key)}`;
