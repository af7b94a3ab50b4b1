//! Rendering the catalog as the specification's catalog chapter (`spec/02-catalog.md`).
