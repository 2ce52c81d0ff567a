//! Which instruction set the kernels use: the CPU's, detected once at run time and capped by
//! `RECSYS_SIMD`, and the tokens that prove it to the kernels.

use std::sync::OnceLock;

/// An instruction-set level of the kernels, lowest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SimdLevel {
    /// Portable code only (what the compiler's baseline target allows).
    Scalar,
    /// AVX2 with FMA kernels.
    Avx2,
    /// AVX2 + FMA, and the AVX-512F conjugate-gradient kernel of ALS.
    Avx512,
}

impl SimdLevel {
    /// The name `RECSYS_SIMD` takes: `scalar`, `avx2` or `avx512`.
    pub fn name(self) -> &'static str {
        match self {
            SimdLevel::Scalar => "scalar",
            SimdLevel::Avx2 => "avx2",
            SimdLevel::Avx512 => "avx512",
        }
    }

    /// The level named `s` (case-insensitive), if it is one.
    pub fn from_name(s: &str) -> Option<SimdLevel> {
        [SimdLevel::Scalar, SimdLevel::Avx2, SimdLevel::Avx512]
            .into_iter()
            .find(|l| l.name().eq_ignore_ascii_case(s.trim()))
    }

    /// What the running CPU supports.
    pub fn detected() -> SimdLevel {
        #[cfg(target_arch = "x86_64")]
        {
            let avx2 = std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma");
            if avx2 && std::arch::is_x86_feature_detected!("avx512f") {
                return SimdLevel::Avx512;
            }
            if avx2 {
                return SimdLevel::Avx2;
            }
        }
        SimdLevel::Scalar
    }
}

impl std::fmt::Display for SimdLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The level the kernels use in this process: the CPU's, capped by the environment variable
/// `RECSYS_SIMD` (`scalar`, `avx2`, `avx512`; a level above the CPU's is capped at the CPU's), so
/// every path can be tested and measured on a machine that has the higher ones. Read once.
///
/// ```
/// let level = recsys_core::simd_level();
/// assert!(level <= recsys_core::SimdLevel::detected());
/// ```
pub fn simd_level() -> SimdLevel {
    static LEVEL: OnceLock<SimdLevel> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let detected = SimdLevel::detected();
        match std::env::var("RECSYS_SIMD") {
            Err(_) => detected,
            Ok(v) => match SimdLevel::from_name(&v) {
                Some(cap) => cap.min(detected),
                None => {
                    // no error can be returned from here: say it once, run at the CPU's level
                    eprintln!(
                        "recsys: RECSYS_SIMD={v:?} is not scalar, avx2 or avx512; using {detected}"
                    );
                    detected
                }
            },
        }
    })
}

mod sealed {
    pub trait Sealed {}
}

/// An instruction set the kernels can be compiled for. Sealed: its implementors are the
/// portable [`Portable`] and the tokens below, whose values only the detection creates.
pub trait Isa: Copy + Send + Sync + sealed::Sealed {
    /// `mul_add` is one instruction (never a slow library call).
    const FMA: bool;
    /// The AVX2 + FMA kernels may run: a value of this type proves the CPU has them.
    const AVX2: bool;
}

/// Portable code: what the build's baseline target allows (on x86-64 without `-C
/// target-cpu`, neither FMA nor AVX2).
#[derive(Clone, Copy, Debug)]
pub struct Portable;

impl sealed::Sealed for Portable {}
impl Isa for Portable {
    const FMA: bool = cfg!(target_arch = "aarch64") || cfg!(target_feature = "fma");
    // both, or the AVX2 kernels (which use FMA) could run where only one of them is present
    const AVX2: bool = cfg!(all(
        target_arch = "x86_64",
        target_feature = "avx2",
        target_feature = "fma"
    ));
}

/// Proof that this CPU has AVX2 and FMA and that `RECSYS_SIMD` allows them. The field is
/// private: [`Avx2Fma::get`] is the only way to have one.
#[derive(Clone, Copy, Debug)]
pub struct Avx2Fma(());

impl Avx2Fma {
    /// A token, when the active [`simd_level`] is AVX2 or above.
    pub fn get() -> Option<Self> {
        (simd_level() >= SimdLevel::Avx2).then_some(Avx2Fma(()))
    }
}

impl sealed::Sealed for Avx2Fma {}
impl Isa for Avx2Fma {
    const FMA: bool = true;
    const AVX2: bool = true;
}

/// Proof that this CPU has AVX-512F (and AVX2 + FMA) and that `RECSYS_SIMD` allows it.
#[derive(Clone, Copy, Debug)]
pub struct Avx512(());

impl Avx512 {
    /// A token, when the active [`simd_level`] is AVX-512.
    pub fn get() -> Option<Self> {
        (simd_level() >= SimdLevel::Avx512).then_some(Avx512(()))
    }
}

/// Generates `$name(args)`: `$body(token, args)` compiled for AVX2 + FMA when an [`Avx2Fma`]
/// token can be had, else `$body(Portable, args)`. `$body` is generic over [`Isa`] and takes the
/// instruction set first.
macro_rules! dispatch_fma {
    ($vis:vis fn $name:ident($($arg:ident : $ty:ty),* $(,)?) -> $ret:ty => $body:ident) => {
        $vis fn $name($($arg: $ty),*) -> $ret {
            #[cfg(target_arch = "x86_64")]
            if let Some(token) = $crate::linalg::Avx2Fma::get() {
                // one argument more than the dispatcher: the token
                #[allow(clippy::too_many_arguments)]
                #[target_feature(enable = "avx2,fma")]
                fn fast(token: $crate::linalg::Avx2Fma, $($arg: $ty),*) -> $ret {
                    $body(token, $($arg),*)
                }
                // SAFETY: the token proves the CPU has every feature `fast` was compiled for.
                return unsafe { fast(token, $($arg),*) };
            }
            $body($crate::linalg::Portable, $($arg),*)
        }
    };
}
pub(crate) use dispatch_fma;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_named_ordered_and_capped_by_the_cpu() {
        for l in [SimdLevel::Scalar, SimdLevel::Avx2, SimdLevel::Avx512] {
            assert_eq!(SimdLevel::from_name(l.name()), Some(l));
            assert_eq!(SimdLevel::from_name(&l.name().to_uppercase()), Some(l));
        }
        assert_eq!(SimdLevel::from_name("sse9"), None);
        assert!(SimdLevel::Scalar < SimdLevel::Avx2 && SimdLevel::Avx2 < SimdLevel::Avx512);
        assert!(simd_level() <= SimdLevel::detected());
        // a token exists exactly when the active level allows it
        assert_eq!(Avx2Fma::get().is_some(), simd_level() >= SimdLevel::Avx2);
        assert_eq!(Avx512::get().is_some(), simd_level() >= SimdLevel::Avx512);
        if let Ok(v) = std::env::var("RECSYS_SIMD")
            && let Some(cap) = SimdLevel::from_name(&v)
        {
            assert_eq!(simd_level(), cap.min(SimdLevel::detected()));
        }
    }
}
