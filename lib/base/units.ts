// Unit types: signatures say what a number means; conversions go through named helpers.

/** A count of sample frames (one sample per channel). */
export type Frames = number;
/** A count of bytes. */
export type Bytes = number;
/** A duration or position in seconds. */
export type Seconds = number;
/** A frequency in hertz. */
export type Hz = number;
/** A linear gain (1 = unchanged). */
export type GainFactor = number;
/** A gain in decibels (0 = unchanged). */
export type Decibels = number;

/** The linear factor of a gain in decibels. */
export function dbToGain(db: Decibels): GainFactor {
  return Math.pow(10, db / 20);
}

/** The gain in decibels of a linear factor (-Infinity for 0). */
export function gainToDb(gain: GainFactor): Decibels {
  return 20 * Math.log10(gain);
}
