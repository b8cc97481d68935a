//! (skeleton: see /work/wt/DESIGN12.md; the owner fills in the routes)

use super::FleetRoutes;

pub fn routes() -> FleetRoutes {
    FleetRoutes::empty()
}
