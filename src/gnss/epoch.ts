import { DAY_MS, plausibleDay } from './date.js';
import type { Fix } from './fix.js';
import type { Observation, Position } from './sentences/types.js';

export interface EpochStats {
  /** Epochs closed with a date (each emitted as a Fix, mode 1 when no position). */
  epochs: number;
  /** Epochs with a position. */
  fixes: number;
  /** Epochs dropped because no date was known yet (or only a power-up placeholder). */
  undated: number;
  /** Sentences for an epoch already closed (arrived after an idle flush). */
  late: number;
  /** Sentences whose time field was empty (receiver without time yet): no epoch to join. */
  timeless: number;
}

const HALF_DAY = DAY_MS / 2;

/**
 * Merges the sentences of one epoch (same UTC time of day) into a Fix. Sentences without
 * a time field (GSA, VTG) join the open epoch; sentences with an empty time field join none. An epoch closes when a sentence with another time
 * arrives, or on flush() (the reader calls it when the line goes idle, so a fix is not
 * held back until the next second).
 *
 * Dates: from the epoch's own RMC or ZDA; otherwise the last known date carried forward,
 * plus one day when the time of day wraps past midnight (GGA at 00:00:02 after 23:59:59).
 * No position unless every sentence agrees there is a fix: void RMC/GLL, GGA quality 0,
 * GSA fix type 1 or mode indicator N make the epoch mode 1.
 */
export class EpochAssembler {
  readonly stats: EpochStats = { epochs: 0, fixes: 0, undated: 0, late: 0, timeless: 0 };
  private tod: number | null = null;
  private any = false;
  private day: number | null = null;
  private pos: Position | null = null;
  private rank = 0;
  private alt: number | null = null;
  private speed: number | null = null;
  private course: number | null = null;
  private quality: number | null = null;
  private sats: number | null = null;
  private hdop: number | null = null;
  private hdopFromGga = false;
  private noFix = false;
  private fixType = 0;
  private lastDay: number | null = null;
  private lastTod = 0;
  private closedTod: number | null = null;

  constructor(private readonly notBeforeMs: number) {}

  add(o: Observation, emit: (fix: Fix) => void): void {
    const t = o.tod;
    if (t === null) {
      // A time field left empty: the receiver has no time, so this sentence belongs to
      // no epoch. Untimed sentences collected before it (GSA, VTG) belong to the same
      // time-less cycle and are dropped with it.
      this.stats.timeless++;
      if (this.tod === null) this.reset();
      return;
    }
    if (t !== undefined) {
      if (this.tod === null) {
        if (t === this.closedTod && !this.any) {
          this.stats.late++;
          return;
        }
        this.tod = t;
      } else if (t !== this.tod) {
        this.close(emit);
        this.tod = t;
      }
    }
    this.any = true;
    if (o.day !== undefined && o.day !== null) this.day = o.day;
    if (o.pos && (o.rank ?? 0) > this.rank) {
      this.pos = o.pos;
      this.rank = o.rank ?? 0;
    }
    if (o.noFix) this.noFix = true;
    if (o.fixType !== undefined && o.fixType > this.fixType) this.fixType = o.fixType;
    if (o.alt !== undefined && o.alt !== null) this.alt = o.alt;
    if (o.speed !== undefined && o.speed !== null && this.speed === null) this.speed = o.speed;
    if (o.course !== undefined && o.course !== null && this.course === null) this.course = o.course;
    if (o.quality !== undefined && o.quality !== null) this.quality = o.quality;
    if (o.sats !== undefined && o.sats !== null) this.sats = o.sats;
    if (o.hdop !== undefined && o.hdop !== null && !this.hdopFromGga) {
      this.hdop = o.hdop;
      this.hdopFromGga = o.rank === 4 || o.rank === 3;
    }
  }

  /** Closes the open epoch now (line idle or end of input). */
  flush(emit: (fix: Fix) => void): void {
    if (this.tod !== null) this.close(emit);
    else this.reset();
  }

  private close(emit: (fix: Fix) => void): void {
    const tod = this.tod!;
    let day: number | null;
    if (this.day !== null) {
      day = plausibleDay(this.day, this.notBeforeMs);
    } else if (this.lastDay !== null) {
      day = this.lastDay;
      if (tod < this.lastTod - HALF_DAY) day += DAY_MS;
      else if (tod > this.lastTod + HALF_DAY) day -= DAY_MS;
    } else {
      day = null;
    }
    if (day !== null) {
      this.lastDay = day;
      this.lastTod = tod;
      const hasFix = !this.noFix && this.fixType !== 1 && this.pos !== null;
      const p = hasFix ? this.pos! : null;
      const fix: Fix = {
        timeMs: day + tod,
        lat: p && p.lat,
        lon: p && p.lon,
        lat7: p && p.lat7,
        lon7: p && p.lon7,
        alt: hasFix ? this.alt : null,
        speed: hasFix ? this.speed : null,
        course: hasFix ? this.course : null,
        mode: hasFix ? (this.fixType >= 2 ? (this.fixType as 2 | 3) : this.alt !== null ? 3 : 2) : 1,
        quality: this.quality,
        sats: this.sats,
        hdop: this.hdop,
      };
      this.stats.epochs++;
      if (hasFix) this.stats.fixes++;
      this.closedTod = tod;
      this.reset();
      emit(fix);
      return;
    }
    this.stats.undated++;
    this.closedTod = tod;
    this.reset();
  }

  private reset(): void {
    this.tod = null;
    this.any = false;
    this.day = null;
    this.pos = null;
    this.rank = 0;
    this.alt = null;
    this.speed = null;
    this.course = null;
    this.quality = null;
    this.sats = null;
    this.hdop = null;
    this.hdopFromGga = false;
    this.noFix = false;
    this.fixType = 0;
  }
}
