import Booking
import Foundation
import HTTPTypes
import Hummingbird
import Notifications
import Workflow

// An admin's own account: changing their password, inviting another admin by email, and the invitation link's page
// where the new admin chooses a password (single use, three days) and is signed in.
extension AdminPages {
    struct AccountModel {
        var formToken: String
        var admins: [String]
        var notice: String?
        var problem: String?
    }

    struct InvitationModel {
        var formToken: String
        var lead: String
        var action: String
        var problem: String?
    }

    func addAccountRoutes(to router: Router<AppContext>) {
        router.get("admin/account") { request, _ in
            let visit = try await self.pages.visit(request)
            guard try await self.signedIn(request) != nil else { return self.toSignIn(request) }
            return try await self.accountPage(visit)
        }
        router.post("admin/password") { request, _ in
            let visit = try await self.pages.visit(request)
            guard let admin = try await self.signedIn(request) else { return self.toSignIn(request) }
            guard let form = try await self.area.form(request, visit) else { return self.pages.expiredForm(visit) }
            let words = self.renderer.words
            guard try await self.area.passwords.verify(form["current"] ?? "", hash: admin.passwordHash) else {
                return try await self.accountPage(
                    visit, problem: words.text("adminAccount.wrongCurrent", visit.language), status: .unauthorized)
            }
            let new = form["new"] ?? ""
            do {
                try AdminPasswords.validate(new)
            } catch {
                return try await self.accountPage(
                    visit, problem: words.text("account.passwordInvalid", visit.language),
                    status: .unprocessableContent)
            }
            try await self.workflow.accounts.setAdminPassword(admin.id, hash: try await self.area.passwords.hash(new))
            return try await self.accountPage(visit, notice: words.text("adminAccount.changed", visit.language))
        }
        router.post("admin/invite") { request, _ in
            let visit = try await self.pages.visit(request)
            guard let admin = try await self.signedIn(request) else { return self.toSignIn(request) }
            guard let form = try await self.area.form(request, visit) else { return self.pages.expiredForm(visit) }
            guard let mail = self.area.mail else { return self.pages.notFound(visit) }
            let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
            let invited: AdminAccount
            do {
                // NB: "!" + random text is no bcrypt hash: no password matches it until the invitee sets one.
                invited = try await self.workflow.accounts.inviteAdmin(
                    email: email, unusableHash: "!" + self.workflow.ids.token(length: 32))
            } catch let error as BookingError {
                return try await self.accountPage(
                    visit, problem: self.pages.explain(error, visit), status: APIError(error).status)
            }
            let message = try mail.composer.adminInvitation(
                for: invited, invitedBy: admin.email.value, id: "msg_\(self.workflow.ids.token(length: 26))",
                now: self.workflow.clock.now())
            try await mail.transport.send(message)
            return try await self.accountPage(
                visit,
                notice: self.renderer.words.text("adminAccount.invited", visit.language, ["email": invited.email.value])
            )
        }
        router.get("admin/invitation") { request, _ in
            let visit = try await self.pages.visit(request)
            guard let (token, admin) = try await self.invitation(request) else { return self.invitationInvalid(visit) }
            return self.invitationPage(visit, token: token, admin: admin)
        }
        router.post("admin/invitation") { request, _ in
            let visit = try await self.pages.visit(request)
            guard let form = try await self.area.form(request, visit) else { return self.pages.expiredForm(visit) }
            guard let (token, admin) = try await self.invitation(request),
                let claims = try? self.area.links?.verify(
                    token, purpose: .adminInvitation, now: self.workflow.clock.now())
            else { return self.invitationInvalid(visit) }
            let password = form["new"] ?? ""
            do {
                try AdminPasswords.validate(password)
            } catch {
                return self.invitationPage(
                    visit, token: token, admin: admin,
                    problem: self.renderer.words.text("account.passwordInvalid", visit.language))
            }
            guard try await self.workflow.accounts.redeemOnce(linkNonce: claims.nonce) else {
                return self.invitationInvalid(visit)
            }
            try await self.workflow.accounts.setAdminPassword(
                admin.id, hash: try await self.area.passwords.hash(password))
            return try await self.startPageSession(admin)
        }
    }

    /// The invitation token of a request and its admin, when we signed it, it is live and not used.
    private func invitation(_ request: Request) async throws -> (String, AdminAccount)? {
        guard let token = request.uri.queryParameters.get("token").map({ String($0) }),
            let claims = try? self.area.links?.verify(token, purpose: .adminInvitation, now: self.workflow.clock.now()),
            try await !self.workflow.accounts.linkWasUsed(nonce: claims.nonce),
            let admin = try await self.workflow.accounts.admin(id: AdminID(rawValue: claims.subject))
        else { return nil }
        return (token, admin)
    }

    private func invitationPage(
        _ visit: PageVisit, token: String, admin: AdminAccount, problem: String? = nil
    ) -> Response {
        self.renderer.page(
            "admin-invitation",
            InvitationModel(
                formToken: visit.formToken,
                lead: self.renderer.words.text("invitation.lead", visit.language, ["email": admin.email.value]),
                action: "/admin/invitation?token=\(token)", problem: problem),
            title: "invitation.title", for: visit, status: problem == nil ? .ok : .unprocessableContent)
    }

    private func invitationInvalid(_ visit: PageVisit) -> Response {
        self.renderer.message(
            title: "invitation.title", text: self.renderer.words.text("invitation.invalid", visit.language),
            for: visit, status: .gone)
    }

    private func accountPage(
        _ visit: PageVisit, notice: String? = nil, problem: String? = nil, status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        let admins = try await self.workflow.accounts.admins().map(\.email.value)
        return self.renderer.page(
            "admin-account",
            AccountModel(formToken: visit.formToken, admins: admins, notice: notice, problem: problem),
            title: "adminAccount.title", for: visit, status: status)
    }
}
