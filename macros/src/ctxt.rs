//! Collects independent errors so that a build reports them all at once (serde's `Ctxt`).

/// Errors gathered while checking a model; consumed by [`Ctxt::finish`].
#[derive(Default)]
pub struct Ctxt {
    errors: Option<syn::Error>,
}

impl Ctxt {
    pub fn push(&mut self, error: syn::Error) {
        match &mut self.errors {
            Some(all) => all.combine(error),
            None => self.errors = Some(error),
        }
    }

    /// Keeps the value of `result`, recording its error.
    pub fn take<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|e| self.push(e)).ok()
    }

    pub fn finish(self) -> syn::Result<()> {
        self.errors.map_or(Ok(()), Err)
    }
}
