// tfjs-node's packages, kept apart from backend.ts so the main thread can ask whether they are
// installed without loading tfjs itself.

/** GPU first: it is the faster of the two where it installs. */
export const TENSORFLOW_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** Whether a tfjs-node package is installed, found without loading it. */
export function tensorflowInstalled(): boolean {
  return TENSORFLOW_PACKAGES.some((pkg) => {
    try {
      import.meta.resolve(pkg);
      return true;
    } catch {
      return false;
    }
  });
}
