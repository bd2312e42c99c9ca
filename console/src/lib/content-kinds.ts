// How the console presents each content type.

export type Kind = 'audio' | 'video' | 'conversation' | 'document' | 'file';

const AUDIO = new Set(['callRecording', 'voicemail', 'ivrAudioRecording']);
const VIDEO = new Set(['screenRecording', 'videoRecording']);
const CONVERSATION = new Set(['transcript', 'chatTranscript']);
const DOCUMENT = new Set([
  'categorizationResult',
  'sentimentSummary',
  'conversationSummary',
  'interactionLog',
]);

export function kindOf(item: { type: string; contentType: string }): Kind {
  const media = item.contentType.toLowerCase();
  if (AUDIO.has(item.type) || media.startsWith('audio/')) return 'audio';
  if (VIDEO.has(item.type) || media.startsWith('video/')) return 'video';
  const json = media === 'application/json' || media.endsWith('+json');
  if (CONVERSATION.has(item.type) && json) return 'conversation';
  if ((DOCUMENT.has(item.type) && json) || json) return 'document';
  return 'file';
}

export const TYPE_LABELS: Record<string, string> = {
  callRecording: 'Call recording',
  transcript: 'Transcript',
  categorizationResult: 'Categorization',
  sentimentSummary: 'Sentiment',
  voicemail: 'Voicemail',
  screenRecording: 'Screen recording',
  ivrAudioRecording: 'IVR audio',
  videoRecording: 'Video recording',
  chatTranscript: 'Chat transcript',
  attachment: 'Attachment',
  conversationSummary: 'Summary',
  interactionLog: 'Interaction log',
};

export const typeLabel = (type: string) => TYPE_LABELS[type] ?? type;

/** Documents larger than this are offered as downloads instead of being rendered in the page. */
export const RENDER_LIMIT_BYTES = 5 * 1024 * 1024;
