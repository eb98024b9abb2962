/** Accuracy and confusion matrices from predicted and true labels. */

/** Accuracy of each part of the split. */
export interface Accuracy {
  train: number;
  val: number;
  test: number;
}

/** Fraction of `predicted[offset + i] === labels[i]` over the labels (0 for no labels). */
export function accuracyOf(
  predicted: ArrayLike<bigint | number>,
  labels: ArrayLike<number>,
  offset = 0,
): number {
  if (labels.length === 0) return 0;
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (Number(predicted[offset + i]) === labels[i]) correct++;
  return correct / labels.length;
}

/**
 * Confusion matrix: `matrix[true][predicted]` counts, `classes × classes`.
 * Predictions outside [0, classes) are not counted.
 */
export function confusionMatrix(
  predicted: ArrayLike<bigint | number>,
  labels: ArrayLike<number>,
  classes: number,
  offset = 0,
): number[][] {
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const p = Number(predicted[offset + i]);
    if (p >= 0 && p < classes) matrix[labels[i]!]![p]!++;
  }
  return matrix;
}
