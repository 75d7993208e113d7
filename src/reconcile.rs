//! Reconcile plan (work in progress).
