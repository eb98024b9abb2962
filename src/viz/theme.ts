/**
 * The look shared by every figure: colours, font sizes and margins. One place, so the learning
 * curves, heat-maps and galleries of a report read as one set.
 */

/** Colours and sizes used by all figures. */
export const theme = {
  /** Figure background. */
  background: '#ffffff',
  /** Main text (titles, labels). */
  ink: '#222222',
  /** Secondary text (tick labels, captions). */
  muted: '#555555',
  /** Axis lines and tick marks. */
  axis: '#444444',
  /** Light grid lines behind data. */
  grid: '#e4e4e4',
  /** Cells with no data. */
  empty: '#f0f0f0',
  /** Highlight for a chosen or wrong item. */
  highlight: '#d62728',
  /** Series colours, in order (Tableau 10: colour-blind friendly for the first three). */
  series: ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf'],
  /** Title font size. */
  titleSize: 16,
  /** Axis label font size. */
  labelSize: 13,
  /** Tick label and caption font size. */
  tickSize: 11,
} as const;
