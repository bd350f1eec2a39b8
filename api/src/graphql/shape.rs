//! Refuses an operation by its shape, as soon as it is parsed and before any other check,
//! validation or resolver: too many root fields (aliases are the cheap way to repeat a costly
//! one), too many fields in all (counted with every fragment expanded where it is spread), or
//! nested too deep.
//!
//! Introspection is measured on its own scale. The standard introspection query that
//! GraphiQL, graphql-core and Apollo send nests `ofType` nine levels deep inside
//! `__schema { types { fields { type ... } } }`. That is deeper than any real Kino query
//! needs, yet it costs a fixed amount however large the catalogue. So `__schema` and `__type`
//! subtrees get their own depth limit, and the depth limit for data stays tight.

use crate::error::Code;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Name, Positioned, Request, ServerError, ServerResult, ValidationResult};
use std::collections::HashMap;
use std::sync::Arc;

/// What one operation may ask for.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Fields directly under the operation (each alias counts).
    pub root_fields: usize,
    /// Fields in all, fragments expanded.
    pub fields: usize,
    /// Nesting of data fields.
    pub depth: usize,
    /// Nesting inside `__schema` or `__type`.
    pub introspection_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            root_fields: 32,
            fields: 1_000,
            depth: 12,
            introspection_depth: 24,
        }
    }
}

/// The schema extension applying [`Limits`].
pub struct Shape(pub Limits);

impl ExtensionFactory for Shape {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ShapeCheck(self.0))
    }
}

struct ShapeCheck(Limits);

#[async_trait::async_trait]
impl Extension for ShapeCheck {
    /// Runs before the schema parses the request itself, because the schema's own checks
    /// right after parsing (recursion depth, directives) walk every fragment spread without a
    /// budget: a ten-way fan-out thirty levels deep would keep them busy for ever. The
    /// document parsed here is the one the schema goes on with.
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let doc = request.parsed_query()?;
        check(doc, &self.0).map_err(|message| too_large(ServerError::new(message, None)))?;
        next.run(ctx, request).await
    }

    /// The cost limit is the schema's (it knows each field's cost); its refusal gets the
    /// same code as the shape's. The schema's error has no kind to tell it by, only its text.
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| {
                    if e.message.contains("too complex") {
                        too_large(e)
                    } else {
                        e
                    }
                })
                .collect()
        })
    }
}

fn too_large(mut e: ServerError) -> ServerError {
    e.extensions
        .get_or_insert_with(Default::default)
        .set("code", Code::QueryTooLarge.name());
    e
}

type Fragments<'a> = HashMap<&'a Name, &'a SelectionSet>;

/// What a walk has counted so far; it stops as soon as a limit is passed.
struct Walk<'a> {
    fragments: &'a Fragments<'a>,
    limits: &'a Limits,
    fields: usize,
    /// Fragment spreads entered and not yet left.
    spreads: usize,
    /// Selections visited so far, spreads included: a fragment of nothing but spreads of
    /// itself counts no field, yet doubling at each level it would walk forever.
    visited: usize,
}

/// Spreads nested in spreads; past this the document is refused (a cycle would never end).
const MAX_SPREAD_NESTING: usize = 32;
/// Selections a walk may visit for each field it may count: room for the spreads and inline
/// fragments that honest documents wrap their fields in.
const MAX_VISITS_PER_FIELD: usize = 4;

/// Checks every operation of `doc` (only one runs, but which is not known until later).
pub fn check(doc: &ExecutableDocument, limits: &Limits) -> Result<(), String> {
    let fragments: Fragments = doc
        .fragments
        .iter()
        .map(|(name, f)| (name, &f.node.selection_set.node))
        .collect();
    for (_, op) in doc.operations.iter() {
        let root = &op.node.selection_set.node;
        let mut walk = Walk {
            fragments: &fragments,
            limits,
            fields: 0,
            spreads: 0,
            visited: 0,
        };
        let roots = walk.root_count(root, 0)?;
        walk.visited = 0;
        if roots > limits.root_fields {
            return Err(format!(
                "the operation asks for more than {} root fields (aliases count)",
                limits.root_fields
            ));
        }
        walk.selections(root, 1, false)?;
    }
    Ok(())
}

impl<'a> Walk<'a> {
    fn fragment(&self, name: &Name) -> Option<&'a SelectionSet> {
        self.fragments.get(name).copied()
    }

    /// Counts one more selection against the walk's budget.
    fn visit(&mut self) -> Result<(), String> {
        self.visited += 1;
        if self.visited > MAX_VISITS_PER_FIELD * self.limits.fields {
            return Err("the operation spreads its fragments too many times".into());
        }
        Ok(())
    }

    /// Root fields, looking through fragments at the root; stops once past the limit.
    fn root_count(&mut self, set: &'a SelectionSet, nesting: usize) -> Result<usize, String> {
        // A spread cycle is refused by validation later; this only must not loop on one.
        if nesting > MAX_SPREAD_NESTING {
            return Err("fragments nest too deep".into());
        }
        let mut n = 0;
        for s in &set.items {
            self.visit()?;
            n += match &s.node {
                Selection::Field(_) => 1,
                Selection::FragmentSpread(f) => match self.fragment(&f.node.fragment_name.node) {
                    Some(inner) => self.root_count(inner, nesting + 1)?,
                    None => 0,
                },
                Selection::InlineFragment(f) => {
                    self.root_count(&f.node.selection_set.node, nesting + 1)?
                }
            };
            if n > self.limits.root_fields {
                break;
            }
        }
        Ok(n)
    }

    fn selections(
        &mut self,
        set: &'a SelectionSet,
        depth: usize,
        introspecting: bool,
    ) -> Result<(), String> {
        let max = if introspecting {
            self.limits.introspection_depth
        } else {
            self.limits.depth
        };
        if depth > max {
            return Err(format!(
                "the operation nests deeper than {max} levels{}",
                if introspecting {
                    " inside introspection"
                } else {
                    ""
                }
            ));
        }
        for s in &set.items {
            self.visit()?;
            match &s.node {
                Selection::Field(Positioned { node: field, .. }) => {
                    self.fields += 1;
                    if self.fields > self.limits.fields {
                        return Err(format!(
                            "the operation asks for more than {} fields",
                            self.limits.fields
                        ));
                    }
                    let name = field.name.node.as_str();
                    let inner = introspecting || name == "__schema" || name == "__type";
                    if !field.selection_set.node.items.is_empty() {
                        self.selections(&field.selection_set.node, depth + 1, inner)?;
                    }
                }
                Selection::FragmentSpread(f) => {
                    // An unknown fragment is validation's to report.
                    if let Some(inner) = self.fragment(&f.node.fragment_name.node) {
                        self.spreads += 1;
                        if self.spreads > MAX_SPREAD_NESTING {
                            return Err("fragments nest too deep".into());
                        }
                        self.selections(inner, depth, introspecting)?;
                        self.spreads -= 1;
                    }
                }
                Selection::InlineFragment(f) => {
                    self.selections(&f.node.selection_set.node, depth, introspecting)?;
                }
            }
        }
        Ok(())
    }
}
