export interface ReceiptEntry {
  account: string;
  seq: string;
  hash: string;
}

/** The x-deletion-receipt header: `<account>:<seq>:<hash>`, comma-separated (src/http/serialize.ts). */
export function parseReceipt(header: string | null): ReceiptEntry[] {
  return (header ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [hash = '', seq = '', ...account] = s.split(':').reverse();
      return { account: account.reverse().join(':'), seq, hash };
    });
}
