export const STAMP: string;
export function buildState(root: string): {
  status: 'missing' | 'stale' | 'current' | 'packaged';
  newer?: string;
};
export function canBuild(root: string): boolean;
export function writeStamp(root: string): void;
