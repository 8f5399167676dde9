/**
 * Bytes a device has written on one data stream that the server has not acked yet:
 * the frames in the order they were sent, each with the seqs it carries, released
 * from the front once every one of them is acked. A frame behind one still waiting
 * stays counted (an out-of-order ACK frees nothing early), so the sum never
 * undercounts what may still sit in the transport's send buffer.
 */
export class InflightBytes {
  private frames: { lo: number; hi: number; bytes: number }[] = [];
  private head = 0;
  private total = 0;

  /** Frame bytes written for seqs `lo`..`hi`. */
  add(lo: number, hi: number, bytes: number): void {
    this.frames.push({ lo, hi, bytes });
    this.total += bytes;
  }

  /** Releases frames from the front while `acked(lo, hi)` says all their seqs are acked. */
  release(acked: (lo: number, hi: number) => boolean): void {
    while (this.head < this.frames.length && acked(this.frames[this.head]!.lo, this.frames[this.head]!.hi)) {
      this.total -= this.frames[this.head]!.bytes;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.frames.length) {
      this.frames = this.frames.slice(this.head);
      this.head = 0;
    }
  }

  get bytes(): number {
    return this.total;
  }
}
