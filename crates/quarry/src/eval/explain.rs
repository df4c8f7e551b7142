//! Explanations: how a document's score is made, down to each (term,
//! field) leaf with the inputs of its BM25 formula.

use crate::schema::Field;

/// A node of a score's explanation: its value, what it is, and the parts
/// it was computed from (whose values combine, as `description` says, to
/// `score`).
#[derive(Clone, Debug, PartialEq)]
pub struct Explanation {
    /// This node's part of the score.
    pub score: f64,
    /// What the node is: `sum of`, `max of`, `title:putin`, a phrase…
    pub description: String,
    /// For a (term or phrase, field) leaf: the BM25 inputs.
    pub bm25: Option<Bm25Explanation>,
    /// The parts, for a combination.
    pub children: Vec<Explanation>,
}

/// The inputs of one leaf's BM25 score:
/// `boost · idf · tf·(k1+1) / (tf + k1·(1 − b + b·field_len/avg_field_len))`.
#[derive(Clone, Debug, PartialEq)]
pub struct Bm25Explanation {
    /// The index term (for a phrase: its terms, space-separated).
    pub term: String,
    /// The field.
    pub field: Field,
    /// `ln(1 + (N − n + 0.5)/(n + 0.5))` (for a phrase: the sum of its terms').
    pub idf: f64,
    /// `n`: documents holding the term in this field (for a phrase: of its rarest term).
    pub doc_freq: u32,
    /// `N`: documents in the index.
    pub doc_count: u32,
    /// Occurrences in this document's field (a sloppy phrase: its sloppy frequency).
    pub tf: f64,
    /// The field's length in this document, in tokens.
    pub field_len: u32,
    /// The field's average length over the index.
    pub avg_field_len: f64,
    /// BM25 `k1`.
    pub k1: f64,
    /// BM25 `b`.
    pub b: f64,
    /// The product of every boost that applies (query boosts and field boost).
    pub boost: f64,
}

impl Explanation {
    pub(crate) fn node(score: f64, description: &str, children: Vec<Explanation>) -> Explanation {
        Explanation {
            score,
            description: description.to_string(),
            bm25: None,
            children,
        }
    }

    /// The explanation as indented lines, one node a line.
    pub fn to_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.lines(0, &mut out);
        out
    }

    fn lines(&self, depth: usize, out: &mut Vec<String>) {
        let pad = "  ".repeat(depth);
        match &self.bm25 {
            Some(b) => out.push(format!(
                "{pad}{:.6}  {}  (idf {:.6} [N {}, n {}], tf {}, len {}, avg len {:.6}, k1 {}, b {}, boost {})",
                self.score,
                self.description,
                b.idf,
                b.doc_count,
                b.doc_freq,
                b.tf,
                b.field_len,
                b.avg_field_len,
                b.k1,
                b.b,
                b.boost
            )),
            None => out.push(format!("{pad}{:.6}  {}", self.score, self.description)),
        }
        for c in &self.children {
            c.lines(depth + 1, out);
        }
    }
}
