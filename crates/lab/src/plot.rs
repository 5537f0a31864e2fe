//! Plots (work in progress).
