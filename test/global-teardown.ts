import type { TestStack } from './support/stack';

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as { __bosunStack?: TestStack }).__bosunStack;
  if (!stack) return;
  await Promise.all([stack.temporal.stop(), stack.moto.stop()]);
}
