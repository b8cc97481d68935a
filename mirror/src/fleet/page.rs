//! Pages of the answers that grow with the fleet (the fleet's status, image queries, pending
//! updates), in the manner of Kubernetes' `limit` and `continue`: a page holds at most `limit`
//! clusters in name order after `after`, and `next` names its last cluster when more follow;
//! asking again with `after=next` gives the next page. A request's cost so follows its page, not
//! the fleet: at 10,000 clusters an image may be in every one of them.

use serde::Deserialize;

use super::query::QueryError;

/// Clusters per page when the request names no limit.
pub const DEFAULT_LIMIT: usize = 100;
/// Most clusters a page holds.
pub const MAX_LIMIT: usize = 1_000;

/// `?limit=&after=` as a request gives them.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// Clusters per page (1 to 1,000; 100 when absent).
    pub limit: Option<usize>,
    /// The `next` of the previous page: the answer starts after this cluster.
    pub after: Option<String>,
}

/// Which clusters an answer covers: the first `limit` after `after`, in name order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub limit: usize,
    pub after: Option<String>,
}

impl Page {
    /// Every cluster, in one answer (for callers inside the appliance).
    pub fn all() -> Self {
        Self {
            limit: usize::MAX,
            after: None,
        }
    }

    /// The first `limit` clusters.
    pub fn first(limit: usize) -> Self {
        Self { limit, after: None }
    }

    /// The page a request asks for; a limit of 0 or above [`MAX_LIMIT`] is refused.
    pub fn from_params(p: PageParams) -> Result<Self, QueryError> {
        let limit = p.limit.unwrap_or(DEFAULT_LIMIT);
        if limit == 0 || limit > MAX_LIMIT {
            return Err(QueryError::Limit(limit));
        }
        Ok(Self {
            limit,
            after: p.after,
        })
    }

    /// The lower bound for SQL (`cluster > $after`): every name is longer than "".
    pub fn after_bound(&self) -> &str {
        self.after.as_deref().unwrap_or("")
    }

    /// The SQL LIMIT that tells whether more follow: one beyond the page.
    pub fn sql_limit(&self) -> i64 {
        i64::try_from(self.limit.saturating_add(1)).unwrap_or(i64::MAX)
    }

    /// Cuts `sorted` (by cluster name, at most one beyond the page) to the page, and says where
    /// the next one starts.
    pub fn cut<T>(
        &self,
        mut sorted: Vec<T>,
        name: impl Fn(&T) -> &str,
    ) -> (Vec<T>, Option<String>) {
        if sorted.len() <= self.limit {
            return (sorted, None);
        }
        sorted.truncate(self.limit);
        let next = sorted.last().map(|t| name(t).to_owned());
        (sorted, next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_cut_after_its_limit_and_names_where_the_next_starts() {
        let p = Page::first(2);
        let (items, next) = p.cut(vec!["a", "b", "c"], |s| s);
        assert_eq!((items, next.as_deref()), (vec!["a", "b"], Some("b")));
        let (items, next) = p.cut(vec!["a", "b"], |s| s);
        assert_eq!((items, next), (vec!["a", "b"], None));
        assert_eq!(Page::all().sql_limit(), i64::MAX);
        assert_eq!(p.sql_limit(), 3);
    }

    #[test]
    fn limits_out_of_range_are_refused() {
        for limit in [0, MAX_LIMIT + 1] {
            let e = Page::from_params(PageParams {
                limit: Some(limit),
                after: None,
            })
            .unwrap_err();
            assert!(e.to_string().contains(&limit.to_string()), "{e}");
        }
        let p = Page::from_params(PageParams::default()).unwrap();
        assert_eq!((p.limit, p.after_bound()), (DEFAULT_LIMIT, ""));
    }
}
