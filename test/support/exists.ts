/**
 * Whether a describe by name or id finds the resource. AWS answers a describe of one that is gone
 * with a not-found error, moto at times with an empty list: both mean it is not there.
 */
export async function exists(describe: () => Promise<readonly unknown[] | undefined>): Promise<boolean> {
  try {
    return ((await describe()) ?? []).length > 0;
  } catch {
    return false;
  }
}
