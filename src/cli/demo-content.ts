// Small but real sample files for `ics seed --demo`: playable WAV tones and JSON documents.

/** A mono 16-bit PCM WAV of a sine tone. */
export function wavTone(opts: { hz: number; seconds: number; sampleRate?: number }): Buffer {
  const rate = opts.sampleRate ?? 8000;
  const samples = Math.round(rate * opts.seconds);
  const buf = Buffer.alloc(44 + samples * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + samples * 2, 4);
  buf.write('WAVE', 8);
  buf.write('fmt ', 12);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(samples * 2, 40);
  for (let i = 0; i < samples; i++) {
    buf.writeInt16LE(Math.round(Math.sin((2 * Math.PI * opts.hz * i) / rate) * 8000), 44 + i * 2);
  }
  return buf;
}

const LINES = [
  ['agent', 'Thank you for calling, how can I help you today?'],
  ['customer', 'Hi, I would like to check the status of my order.'],
  ['agent', 'Of course. Could you give me the order number, please?'],
  ['customer', 'It is 4 8 1 5 1 6 2 3.'],
  ['agent', 'Thanks. It shipped yesterday and should arrive on Friday.'],
  ['customer', 'Great, thank you very much.'],
];

export function transcript(guid: string): Buffer {
  return json({
    interaction: guid,
    language: 'en-GB',
    segments: LINES.map(([speaker, text], i) => ({
      speaker,
      startMs: i * 4000,
      endMs: i * 4000 + 3500,
      text,
    })),
  });
}

export function chatTranscript(guid: string, customer: string): Buffer {
  return json({
    interaction: guid,
    channel: 'webchat',
    messages: LINES.map(([from, text], i) => ({
      from: from === 'customer' ? customer : 'agent',
      at: i * 20,
      text,
    })),
  });
}

export function sentiment(score: number): Buffer {
  return json({
    overall: score > 0.2 ? 'positive' : score < -0.2 ? 'negative' : 'neutral',
    score,
    bySpeaker: { agent: 0.6, customer: score },
  });
}

export function summary(): Buffer {
  return json({
    summary: 'Customer asked about an order; the agent confirmed it shipped and gave the delivery day.',
    model: 'demo',
  });
}

const json = (v: unknown) => Buffer.from(`${JSON.stringify(v, null, 2)}\n`);
