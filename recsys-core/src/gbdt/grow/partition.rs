//! Moving a split leaf's rows to its children: a stable, branch-free partition, in parallel
//! blocks for large leaves.

use rayon::prelude::*;

/// Rows per parallel block when partitioning a large leaf.
const PARTITION_BLOCK: usize = 65_536;

/// Stable partition of `block`: the rows going left move to its front (in place: a row is
/// never written ahead of where it is read), the others to the front of `spill`, in order;
/// returns how many go left. Branch-free: both writes happen for every row.
fn partition_block(block: &mut [u32], spill: &mut [u32], goes_left: impl Fn(u32) -> bool) -> usize {
    let (mut nl, mut nr) = (0, 0);
    for k in 0..block.len() {
        let r = block[k];
        let left = goes_left(r);
        block[nl] = r;
        spill[nr] = r;
        nl += usize::from(left);
        nr += usize::from(!left);
    }
    nl
}

/// Stable partition of a leaf's `rows` by `goes_left` (the left rows first, both sides in their
/// order) with `spill` (as long as `rows`) as scratch, in parallel blocks for large leaves;
/// returns how many go left.
pub(super) fn stable_partition(
    rows: &mut [u32],
    spill: &mut [u32],
    goes_left: impl Fn(u32) -> bool + Sync,
) -> usize {
    let lefts: Vec<usize> = if rows.len() <= PARTITION_BLOCK {
        vec![partition_block(rows, spill, &goes_left)]
    } else {
        rows.par_chunks_mut(PARTITION_BLOCK)
            .zip(spill.par_chunks_mut(PARTITION_BLOCK))
            .map(|(block, spill)| partition_block(block, spill, &goes_left))
            .collect()
    };
    // each block holds its left rows at its front and its right rows in `spill`:
    // gather the lefts, then the rights behind them
    let mut at = 0;
    for (b, &nl) in lefts.iter().enumerate() {
        let from = b * PARTITION_BLOCK;
        rows.copy_within(from..from + nl, at);
        at += nl;
    }
    let at_left = at;
    for (b, &bl) in lefts.iter().enumerate() {
        let from = b * PARTITION_BLOCK;
        let block_len = PARTITION_BLOCK.min(rows.len() - from);
        let nr = block_len - bl;
        rows[at..at + nr].copy_from_slice(&spill[from..from + nr]);
        at += nr;
    }
    at_left
}
