//! mixsig-chip: chip profiles (work in progress).
